"""The bytes of a DBL GoIP's pages (DBL-GOIP.md 7), from the pure renderers."""

from __future__ import annotations

from datetime import UTC, datetime

from emulator.dbl import pages
from emulator.dbl.pages import DeviceStatus, LineStatus, Record

T0 = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC).timestamp()


def line_status(n: int, **changes: object) -> LineStatus:
    base: dict[str, object] = dict(
        line=n, sim=True, registered=True, signal=25, operator="OPER", in_call=False,
        sms_login=True, lac="7E5", cell_id="5E5B", remain_time=-1, idle_minutes=3, acd=40,
        asr=50, talk_minutes=2, connected=1, calls=2, number="+1555", imei="860000000000001",
        imsi="460010000000001", iccid="89860110000000000001", module="EC20F",
        module_version="REV1",
    )  # fmt: skip
    base.update(changes)
    return LineStatus(**base)  # type: ignore[arg-type]


DEVICE = DeviceStatus(
    sn="0030F10D0801", version="GST1610-1.01-70", model="GoIP-8", time="2026-03-04 05:06:07",
    ip="192.168.1.108", mac="00:30:F1:0D:08:01", default_route="192.168.1.1",
)  # fmt: skip


def test_key_is_eight_lower_case_hex_digits():
    assert pages.key_text(0x6A52ACC8) == "6a52acc8"
    assert pages.key_text(0x6D) == "0000006d"
    assert pages.key_text(2**32 + 5) == "00000005"


def test_send_answer_and_errors():
    assert pages.send_answer(1, "51987654321", "6a52acc8") == (
        "\nSending,L1 Send SMS to:51987654321; ID:6a52acc8\n"
    )
    assert pages.send_error("L3 busy") == "ERROR,L3 busy"
    assert pages.AUTH_ERROR == "ERROR,user or password error"


def test_send_status_xml_lists_every_line_with_empty_elements_for_one_that_never_sent():
    records = [Record("0000006d", "DONE", ""), Record(), Record("6a52d52c", "DONE", "38")]
    assert pages.send_status_xml(records, "id") == (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        "<send-sms-status>\n"
        "<id1>0000006d</id1>\n<status1>DONE</status1>\n<error1></error1>\n"
        "<id2></id2>\n<status2></status2>\n<error2></error2>\n"
        "<id3>6a52d52c</id3>\n<status3>DONE</status3>\n<error3>38</error3>\n"
        "</send-sms-status>\n"
    )
    keyed = pages.send_status_xml([Record("k<&>", "STARTED")], "smskey")
    assert "<smskey1>k&lt;&amp;></smskey1>\n<status1>STARTED</status1>\n" in keyed


def test_tools_form_puts_the_smskey_where_scrapers_split_for_it():
    html = pages.tools_form("sms", 2, "6955b900")
    assert html.split('smskey" value="')[1].split('"')[0] == "6955b900"
    assert '<input type="hidden" name="smskey" value="6955b900">\r\n' in html
    for name in ('name="line1"', 'name="line2"', 'name="telnum"', 'name="smscontent"'):
        assert name in html
    assert 'name="line3"' not in html
    assert 'action="sms_info.html?type=sms"' in html
    assert 'action="ussd_info.html?type=ussd"' in pages.tools_form("ussd", 1, "1")


def test_box_entry_is_month_day_time_number_text_in_local_time():
    assert pages.box_entry(T0, 0, "+1999", "a,b") == "03-04 05:06:07,+1999,a,b"
    assert pages.box_entry(T0, 8 * 3600, "+1999", "x") == "03-04 13:06:07,+1999,x"
    assert pages.local_time(T0, -3600) == "2026-03-04 04:06:07"


def test_box_script_layout_is_exact():
    rows = [['03-04 05:06:07,+1,hé "q"\n', "03-04 05:06:00,+2,old"], []]
    assert pages.box_script(rows, 3) == (
        "var sms, pos;\n"
        'sms= ["03-04 05:06:07,+1,hé \\"q\\"\\n","03-04 05:06:00,+2,old",""];\r\n'
        "pos=0;sms_row_insert(l1_sms_store, sms, pos, 1);\r\n"
        'sms= ["","",""];\r\n'
        "pos=0;sms_row_insert(l2_sms_store, sms, pos, 2);\r\n"
        "// end\r\n"
    )
    # Non-ASCII is UTF-8 on the wire, not \u escapes.
    assert "hé".encode() in pages.box_script(rows, 3).encode()


def test_box_page_has_the_script_first():
    html = pages.box_page("sms_inbox", [["x"]], 1)
    script = html.split('<script language="javascript">', 1)[1].split("</script>", 1)[0]
    assert script == pages.box_script([["x"]], 1)


def test_status_list_names_every_field_per_line_in_order():
    fields = pages.status_fields("list", DEVICE, [line_status(1)], font_tags=False)
    assert fields == [
        ("l1_module_status_gsm", "1"), ("l1_module_title_gsm", "GSM1"), ("l1_module_status", "Y"),
        ("l1_module_title", "Line1"), ("l1_gsm_sim", "Y"), ("l1_gsm_status", "Y"),
        ("l1_status_line", "N"), ("l1_line_state", "IDLE"), ("l1_sms_login", "Y"),
        ("l1_smb_login", ""), ("l1_gsm_signal", "25"), ("l1_gsm_cur_oper", "OPER"),
        ("l1_gsm_cur_bst", "5E5B"), ("l1_volte", ""), ("l1_lac", "7E5"),
        ("l1_sim_remain", "NO LIMIT"), ("l1_nocall_t", "3"), ("l1_acd", "40"), ("l1_asr", "50"),
        ("l1_callt", "2"), ("l1_callc", "1/2"), ("l1_rct", ""), ("l1_sms_count", "NO LIMIT"),
        ("l1_call_count", "NO LIMIT"),
    ]  # fmt: skip


def test_status_base_gsm_and_callforward_fields():
    base = dict(pages.status_fields("base", DEVICE, [line_status(1)], font_tags=False))
    assert [base[k] for k in ("sn", "version", "model", "time", "ech0_ip", "eth0_hwaddr")] == [
        "0030F10D0801", "GST1610-1.01-70", "GoIP-8", "2026-03-04 05:06:07", "192.168.1.108",
        "00:30:F1:0D:08:01",
    ]  # fmt: skip
    for name in ("eth1_ip", "ppp0_ip", "default_route", "dns"):
        assert name in base
    for name in (
        "status_line", "gsm_status", "sim_remain", "config_mode", "digits", "proxy", "server",
        "sip_prefix", "fw_to_voip", "fw_to_pstn",
    ):  # fmt: skip
        assert f"l1_{name}" in base
    gsm = pages.status_fields("gsm", DEVICE, [line_status(2, remain_time=30)], font_tags=False)
    assert gsm[0] == ("remote_sim_enable", "N")
    assert [name for name, _ in gsm[1:]] == [
        f"l2_{n}"
        for n in (
            "module_status_gsm", "module_status_gsm2", "gsm_sim", "gsm_status", "gsm_signal",
            "gsm_gprs_login", "gsm_gprs_attach", "gsm_cur_oper", "gsm_bst", "gsm_cur_bst", "lac",
            "gsm_module", "gsm_module_ver", "gsm_number", "gsm_imei", "sim_imsi", "sim_iccid",
        )
    ]  # fmt: skip
    values = dict(gsm)
    assert (values["l2_gsm_number"], values["l2_gsm_imei"], values["l2_sim_iccid"]) == (
        "+1555", "860000000000001", "89860110000000000001",
    )  # fmt: skip
    forward = pages.status_fields("callforward", DEVICE, [line_status(1)], font_tags=False)
    assert forward == [
        ("l1_module_status_ccfc", "1"), ("l1_cf_uncnd_status", "OFF"),
        ("l1_cf_busy_status", "OFF"), ("l1_cf_noreply_status", "OFF"),
        ("l1_cf_notreachable_status", "OFF"),
    ]  # fmt: skip
    remain = dict(pages.status_fields("base", DEVICE, [line_status(1, remain_time=30)], False))
    assert remain["l1_sim_remain"] == "30"


def test_font_tags_wrap_bad_values_escaped_as_the_firmware_writes_them():
    down = line_status(1, registered=False, signal=99, operator="")
    weak = line_status(2, signal=9)
    xml = pages.status_xml(pages.status_fields("list", DEVICE, [down, weak], font_tags=True))
    assert '<l1_gsm_status>&lt;font color="#FF0000">N&lt;/font></l1_gsm_status>\n' in xml
    assert '<l1_gsm_signal>&lt;font color="#FF0000">99&lt;/font></l1_gsm_signal>\n' in xml
    assert '<l2_gsm_signal>&lt;font color="#FF0000">9&lt;/font></l2_gsm_signal>\n' in xml
    assert "<l2_gsm_status>Y</l2_gsm_status>\n" in xml
    plain = pages.status_xml(pages.status_fields("list", DEVICE, [down], font_tags=False))
    assert "<l1_gsm_status>N</l1_gsm_status>\n" in plain
    assert "font" not in plain


def test_status_xml_document():
    assert pages.status_xml([("sn", "a&b"), ("l1_x", "]]>")]) == (
        '<?xml version="1.0" encoding="utf-8"?>\n<status>\n<sn>a&amp;b</sn>\n'
        "<l1_x>]]&gt;</l1_x>\n</status>\n"
    )


def test_info_answer_names_sent_and_skipped_lines():
    html = pages.info_answer("sms", "k1", [(1, "sending to +1"), (2, "skipped: busy")])
    assert "<p>L1: sending to +1</p>\r\n<p>L2: skipped: busy</p>\r\n" in html
    assert "no line chosen" in pages.info_answer("ussd", "k1", [])
