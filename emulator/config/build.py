"""A profile -> the core's configuration: templates filled in, overrides applied.

The one converter between the YAML models and the device model; every slot reference
was checked at load (`reference_problems` in emulator/profile.py), so here they parse.
"""

from __future__ import annotations

from emulator.config.ports import PortNames
from emulator.config.profile import Profile, SimSpec
from emulator.core.config import (
    BehaviourConfig,
    CardConfig,
    CoreConfig,
    DeviceConfig,
    EsimConfig,
    InboxConfig,
    InitialSettings,
    SendingConfig,
)


def core_config(profile: Profile, index: int = 0) -> CoreConfig:
    """The configuration of device `index` of a fleet built from `profile`."""
    spec = profile.device
    offset = spec.tzinfo.utcoffset(None)
    behaviour = profile.behaviour
    sending = profile.sending
    push = profile.push
    return CoreConfig(
        device=DeviceConfig(
            ports=spec.ports,
            slots=spec.slots,
            imei=tuple(spec.imei.format(device=index, port=p) for p in range(1, spec.ports + 1)),
            utc_offset=offset.total_seconds() if offset else 0.0,
            max_sessions=spec.max_sessions,
            reboot_time=spec.reboot_time,
            keeps_inbox_on_reboot=spec.keeps_inbox_on_reboot,
            firmware=profile.quirks.firmware,
        ),
        behaviour=BehaviourConfig(
            boot=behaviour.boot,
            detect_time=behaviour.detect_time,
            registration_time=behaviour.registration_time,
            auto_fail_sim_switch=behaviour.auto_fail_sim_switch,
        ),
        sending=SendingConfig(
            latency=sending.latency,
            failure_rate=sending.failure_rate,
            delivery_delay=sending.delivery_delay,
            delivery_failure_rate=sending.delivery_failure_rate,
            max_tasks=sending.max_tasks,
            max_messages=sending.max_messages,
        ),
        inbox=InboxConfig(capacity=profile.inbox.capacity),
        settings=InitialSettings(
            status_url=push.status_url,
            status_period=push.status_period,
            sr_url=push.sr_url,
            sms_url=push.sms_url,
            sr_cnt=push.sr_cnt,
            sr_prd=push.sr_prd,
            sms_cnt=push.sms_cnt,
            sms_prd=push.sms_prd,
        ),
        index=index,
        default_card=_card(profile.sims.defaults),
        cards=_cards(profile),
        esim=EsimConfig(ports=_esim_ports(profile), op_time=profile.esim.op_time),
    )


def _esim_ports(profile: Profile) -> tuple[int, ...]:
    spec = profile.device
    if spec.esim_ports is None:
        return ()
    names = PortNames(spec.ports, spec.slots, profile.quirks.port_format)
    return tuple(sorted({ref.port for ref in names.parse_list(spec.esim_ports)}))


def _cards(profile: Profile) -> dict[tuple[int, int], CardConfig]:
    """The slots whose card the profile's overrides change, each with its card."""
    spec = profile.device
    names = PortNames(spec.ports, spec.slots, profile.quirks.port_format)
    defaults = profile.sims.defaults
    chosen: dict[tuple[int, int], SimSpec] = {}
    for override in profile.sims.overrides:
        for ref in names.parse_list(override.slots):
            for s in [ref.slot] if ref.slot else range(1, spec.slots + 1):
                key = (ref.port, s)
                chosen[key] = override.apply(chosen.get(key, defaults))
    made: dict[SimSpec, CardConfig] = {}
    return {key: made.setdefault(sim, _card(sim)) for key, sim in chosen.items()}


def _card(spec: SimSpec) -> CardConfig:
    # The same fields by name: a card's facts are defined once, in the profile's schema.
    return CardConfig(**spec.model_dump())
