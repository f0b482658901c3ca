"""The `ussd` and `at` CLI verbs against a real emulator process."""

from test_cli_verbs import verb


async def test_ussd_topup_and_at_verbs(serve):
    served = await serve("--clock", "virtual")
    url = ["--url", served.url]
    await verb("advance", "30", *url)
    code, out, _ = await verb("ussd", "1", "*123#", *url)
    assert code == 0 and out.splitlines() == [
        "Top-up menu",
        "1. Add 10.00",
        "2. Add 20.00",
        "0. Exit",
    ]
    code, out, _ = await verb("ussd", "1", "*100#", *url)
    assert code == 1  # the menu is still open
    code, out, _ = await verb("ussd", "1", "2", "--retries", "0", *url)
    assert code == 0 and out.strip() == "Top-up of 20.00 done. New balance 120.00."
    code, out, _ = await verb("ussd", "1", "*100#", "--json", *url)
    assert code == 0 and '"resp": "Your balance is 120.00."' in out
    code, out, _ = await verb("at", "1", "ATI", *url)
    assert code == 0 and out.splitlines() == ["Quectel", "EC20F", "Revision: EC20FAR06A01M4G", "OK"]
    code, out, _ = await verb("at", "1", "AT+CREG?", *url)
    assert out.splitlines() == ["+CREG: 0,1", "OK"]
    code, _, err = await verb("ussd", "99", "*100#", *url)
    assert code == 1 and "code 2: Invalid Port" in err
