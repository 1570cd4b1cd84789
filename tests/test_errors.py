"""lobbyq's exceptions: one root, one family per package, no stdlib type as the public one."""

from __future__ import annotations

import pytest

from console.actions import FormError
from console.auth import AccountError
from console.errors import ConsoleError
from console.model import ViewError
from counter.errors import CounterError
from counter.flow import FlowError
from display.voice import VoiceError
from drivers.errors import DriverError
from drivers.mqtt.client import BrokerUrl, BrokerUrlError
from drivers.mqtt.request import EngineUnavailable
from kiosk.directory import DirectoryError
from kiosk.ui import KioskError
from lobbyq.broker import BrokerError
from lobbyq.core.errors import ConfigError, CoreError, LobbyqError
from lobbyq.device.errors import DeviceToolError
from lobbyq.engine.store import StoreError
from lobbyq.protocol.messages import CommandMsg, ProtocolError
from lobbyq.protocol.topics import TopicError, Topics
from lobbyq.runtime.i18n import I18nError

FAMILIES: dict[type[Exception], tuple[type[Exception], ...]] = {
    CoreError: (ConfigError,),
    ProtocolError: (TopicError,),
    DriverError: (EngineUnavailable, BrokerUrlError),
    KioskError: (DirectoryError,),
    I18nError: (),
    DeviceToolError: (),
    StoreError: (),
    BrokerError: (),
    VoiceError: (),
    CounterError: (FlowError,),
    ConsoleError: (FormError, AccountError, ViewError),
}
STDLIB = (ValueError, TimeoutError, RuntimeError, LookupError, OSError)


@pytest.mark.parametrize("base", list(FAMILIES), ids=lambda b: b.__name__)
def test_each_family_has_one_base_under_the_root(base: type[Exception]) -> None:
    assert issubclass(base, LobbyqError)
    for cls in (base, *FAMILIES[base]):
        assert issubclass(cls, base)
        assert not issubclass(cls, STDLIB), f"{cls.__name__} leaks a stdlib base"


def test_the_protocol_and_link_errors_are_lobbyq_errors() -> None:
    with pytest.raises(ProtocolError):
        CommandMsg.decode(b"not json")
    with pytest.raises(ProtocolError):
        Topics("b1").parse("other/v1/b1/cmd/kiosk-1")
    with pytest.raises(DriverError):
        BrokerUrl.parse("http://kiosk-1.local")
