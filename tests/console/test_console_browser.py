"""The console in a real browser: Debian's Chromium driven by Playwright, against the
console on uvicorn, the real engine and a private mosquitto.

Screenshots (1366x768 and 1024x768, in zh-Hans and en) are written under the
test's tmp dir; to look at them again::

    ./.venv/bin/python -m pytest tests/console/test_console_browser.py -k screenshots \
        --basetemp=out/console-shots
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from console.actions import BusCommander
from console.alerts import Thresholds
from console.auth import Accounts
from console.link import ConsoleLink
from console.model import BranchModel
from console.web import ConsoleDeps, ConsoleWeb
from drivers.mqtt.client import MqttBus
from drivers.mqtt.request import Requester
from lobbyq.broker import Mosquitto
from lobbyq.engine.cli import load_branch_config
from lobbyq.engine.service import Engine
from lobbyq.engine.store import EventStore
from lobbyq.protocol.messages import StateMsg, StatusMsg
from lobbyq.protocol.topics import Topics
from lobbyq.runtime.version import VERSION
from tests.console.conftest import FAST_HASHER, PASSWORD
from tests.support import eventually

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is missing: ./run installs it"
)


class ShiftClock:
    """Wall time plus a jump the test can set (to age sessions)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Live:
    url: str
    topics: Topics
    web: ConsoleWeb
    accounts: Accounts
    session_clock: ShiftClock
    kiosk: Requester
    counter: Requester
    retained: dict[str, bytes]

    def state(self, topic: str) -> dict[str, Any] | None:
        raw = self.retained.get(topic)
        return dict(StateMsg.decode(raw).body) if raw else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(mosquitto: Mosquitto, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    import uvicorn

    work = tmp_path_factory.mktemp("console-live")
    config = load_branch_config(None, f"c{time.monotonic_ns() % 10**10}")
    topics = Topics(config.branch_id)
    url = mosquitto.url
    stops: list[Any] = []

    ebus = MqttBus(url, f"engine-{config.branch_id}")
    ebus.set_will(
        topics.status("engine"), StatusMsg("engine", False, "engine", 0.0, VERSION).encode()
    )
    store = EventStore(work / "events.db", branch=config.branch_id)
    engine = Engine(config, store, ebus)
    ebus.on_connection(
        lambda up: (
            ebus.publish(topics.status("engine"), engine.status_message(True), retain=True)
            if up
            else None
        )
    )
    ebus.start()
    engine.start()
    stops += [store.close, ebus.stop, engine.stop]

    # The console: the device is "console"; the client id is unique on the shared broker.
    cbus = MqttBus(url, f"console-{config.branch_id}")
    # Service C alerts after 2 s of waiting, so an over-long wait happens within a test.
    model = BranchModel(topics, thresholds=Thresholds(over_wait_s={"C": 2.0}))
    ConsoleLink(cbus, model).attach()
    session_clock = ShiftClock()
    accounts = Accounts(work / "accounts.db", clock=session_clock, hasher=FAST_HASHER)
    accounts.add_user("mgr", "manager", PASSWORD)
    accounts.add_user("view", "viewer", PASSWORD)
    web = ConsoleWeb(
        ConsoleDeps(
            model=model,
            commander=BusCommander(Requester(cbus, topics, "console")),
            accounts=accounts,
            tick_s=0.5,
        )
    )
    cbus.start()
    stops += [accounts.close, cbus.stop]

    # The kiosk and a counter, as devices sending their own commands.
    tbus = MqttBus(url, f"tester-{config.branch_id}")
    retained: dict[str, bytes] = {}
    tbus.subscribe(topics.state_all, lambda t, p: retained.__setitem__(t, p))
    kiosk = Requester(tbus, topics, "kiosk-1")
    counter = Requester(tbus, topics, "counter-1")
    tbus.start()
    stops.append(tbus.stop)
    assert tbus.wait_connected(10) and cbus.wait_connected(10) and ebus.wait_connected(10)

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            web.app(), host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
        )
    )
    thread = threading.Thread(target=server.run, name="console-http", daemon=True)
    thread.start()
    assert eventually(lambda: server.started, timeout=10)
    assert counter.request("login", counter="1", teller="1001", timeout=10).ok
    assert counter.request("open_counter", counter="1", timeout=10).ok
    try:
        yield Live(
            f"http://127.0.0.1:{port}",
            topics,
            web,
            accounts,
            session_clock,
            kiosk,
            counter,
            retained,
        )
    finally:
        server.should_exit = True
        thread.join(10)
        for stop in reversed(stops):
            stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _login(
    browser: Any,
    live: Live,
    name: str = "mgr",
    lang: str = "en",
    size: tuple[int, int] = (1366, 768),
) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(f"{live.url}/login?lang={lang}")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#p-queues")
    return page


def _live_stream(live: Live, before: int, page: Any = None) -> None:
    """Wait until the page's event stream is open, so timings start from a live page.

    With the page, its own word (``data-live``, set when the stream opens): a
    count of the server's listeners can be fooled by a page of the previous
    test whose stream has not closed yet.
    """
    if page is not None:
        page.wait_for_selector("body[data-live='1']", timeout=10000)
        return
    assert eventually(lambda: live.web.hub.listeners > before, timeout=10)


def test_a_kiosk_ticket_appears_within_a_second(browser: Any, live: Live) -> None:
    before = live.web.hub.listeners
    page = _login(browser, live)
    _live_stream(live, before)
    reply = live.kiosk.request("issue_ticket", service="B", timeout=5)
    assert reply.ok
    issued = reply.event("ticket_issued")
    assert issued is not None
    row = page.locator('#p-queues tr[data-service="B"] .numbers')
    playwright_api.expect(row).to_contain_text(str(issued["number"]), timeout=1000)
    page.context.close()


def test_the_power_cut_notice_reaches_the_retained_notice(browser: Any, live: Live) -> None:
    page = _login(browser, live)
    page.select_option("#p-notice select[name=notice]", "power_cut")
    page.click('#p-notice button[data-op="set-notice"]')
    playwright_api.expect(page.locator("#result")).to_have_text("Done.")
    assert eventually(lambda: (live.state(live.topics.state_notice) or {}).get("notice"))
    assert live.state(live.topics.state_notice)["notice"] == "power_cut"  # type: ignore[index]
    playwright_api.expect(page.locator("#p-notice .notice-now")).to_contain_text("Power cut")
    page.click('#p-notice button[data-op="clear-notice"]')
    assert eventually(lambda: live.state(live.topics.state_notice) == {})
    page.context.close()


def test_pausing_a_counter(browser: Any, live: Live) -> None:
    page = _login(browser, live)
    card = page.locator('#p-counters article[data-counter="1"]')
    card.locator('button[data-op="pause-lunch"]').click()
    playwright_api.expect(card.locator(".badge")).to_contain_text("paused: lunch")
    view = live.state(live.topics.state_counter("1")) or {}
    assert (view.get("status"), view.get("reason")) == ("paused", "lunch")
    # Pausing again is refused by the engine, and its reason is shown.
    resp = page.request.post(
        f"{live.url}/counter/1/pause",
        form={"reason": "break", "csrf": _csrf(page)},
        headers={"Accept": "application/json"},
    )
    assert resp.status == 409 and "already paused" in resp.json()["message"]
    page.locator('#p-counters article[data-counter="1"] button[data-op="resume"]').click()
    playwright_api.expect(card.locator(".badge")).to_have_text("open")
    page.context.close()


def _csrf(page: Any) -> str:
    return str(page.locator("form.logout input[name=csrf]").input_value())


def test_a_viewer_cannot_act(browser: Any, live: Live) -> None:
    page = _login(browser, live, "view")
    assert page.locator("form[data-action]").count() == 0
    resp = page.request.post(
        f"{live.url}/notice",
        form={"notice": "power_cut", "csrf": _csrf(page)},
        headers={"Accept": "application/json"},
    )
    assert resp.status == 403
    assert live.state(live.topics.state_notice) in (None, {})
    page.context.close()


def test_no_token_a_wrong_password_and_an_old_session_are_refused(browser: Any, live: Live) -> None:
    page = _login(browser, live)
    resp = page.request.post(f"{live.url}/notice", form={"notice": "system_failure"})
    assert resp.status == 403
    assert live.state(live.topics.state_notice) in (None, {})

    live.session_clock.offset = live.accounts.session_ttl_s + 1
    try:
        page.reload()
        page.wait_for_url("**/login?expired=1")
        playwright_api.expect(page.locator(".note")).to_contain_text("session has ended")
    finally:
        live.session_clock.offset = 0.0

    page.fill("input[name=name]", "mgr")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    playwright_api.expect(page.locator("#login-error")).to_have_text("Wrong name or password.")
    page.context.close()


def _low_rating(live: Live) -> None:
    """A customer served at counter 1 rates it 1 of 5."""
    assert live.kiosk.request("issue_ticket", service="A", timeout=5).ok
    assert live.counter.request("call_next", counter="1", timeout=5).ok
    assert live.counter.request("finish", counter="1", timeout=5).ok
    assert live.counter.request("rate", counter="1", value=1, scale=5, timeout=5).ok


def test_an_over_long_wait_reaches_every_console_and_is_acknowledged(
    browser: Any, live: Live
) -> None:
    before = live.web.hub.listeners
    page = _login(browser, live)
    other = _login(browser, live, lang="zh-Hans")
    _live_stream(live, before, page)
    _live_stream(live, before, other)
    issued = live.kiosk.request("issue_ticket", service="C", timeout=5).event("ticket_issued")
    assert issued is not None
    number = str(issued["number"])
    item = page.locator(f'#p-alerts li[data-code="over_wait"]:has-text("{number}")')
    playwright_api.expect(item).to_be_visible(timeout=15000)
    twin = other.locator(f'#p-alerts li[data-code="over_wait"]:has-text("{number}")')
    playwright_api.expect(twin).to_contain_text("已等候")
    # The page noticed a new alert (it beeps there when the manager turned sound on).
    assert int(page.evaluate("document.body.dataset.alerted || '0'")) >= 1
    item.locator('button[data-op="ack"]').click()
    playwright_api.expect(page.locator("#result")).to_have_text("Done.")
    playwright_api.expect(item).to_contain_text("Acknowledged by mgr")
    playwright_api.expect(twin).to_contain_text("mgr 已于")  # the engine's event, on both
    assert live.kiosk.request("cancel", ticket=number, timeout=5).ok
    page.context.close()
    other.context.close()


def test_a_low_rating_alert(browser: Any, live: Live) -> None:
    before = live.web.hub.listeners
    page = _login(browser, live)
    _live_stream(live, before, page)
    _low_rating(live)
    item = page.locator('#p-alerts li[data-code="low_rating"]').first
    playwright_api.expect(item).to_contain_text("1 of 5", timeout=2000)
    playwright_api.expect(item).to_contain_text("counter 1")
    page.context.close()


def test_a_floating_teller_takes_another_service(browser: Any, live: Live) -> None:
    page = _login(browser, live)
    card = page.locator('#p-counters article[data-counter="2"]')
    card.locator("input[name=services]").fill("c, b")
    card.locator('button[data-op="services"]').click()
    playwright_api.expect(page.locator("#result")).to_have_text("Done.")
    assert eventually(
        lambda: (live.state(live.topics.state_counter("2")) or {}).get("services") == ["C", "B"]
    )
    playwright_api.expect(card).to_contain_text("C, B")
    # The same list again is the engine's refusal, shown with its reason.
    card.locator('button[data-op="services"]').click()
    playwright_api.expect(page.locator("#result")).to_contain_text("already takes C, B")
    card.locator("input[name=services]").fill("B, A")
    card.locator('button[data-op="services"]').click()
    assert eventually(
        lambda: (live.state(live.topics.state_counter("2")) or {}).get("services") == ["B", "A"]
    )
    page.context.close()


def test_a_waiting_ticket_is_moved_then_cancelled_from_the_queue(browser: Any, live: Live) -> None:
    page = _login(browser, live)
    issued = live.kiosk.request("issue_ticket", service="B", timeout=5).event("ticket_issued")
    assert issued is not None
    number = str(issued["number"])
    _live_stream(live, 0, page)
    form = page.locator("#p-ticket form")
    form.locator("input[name=ticket]").fill(number)
    form.locator("select[name=to]").select_option("service:D")
    # The queue changes while the manager is choosing: the redrawn panel keeps the choice.
    shown = page.locator("#waiting-numbers option").count()
    assert live.kiosk.request("issue_ticket", service="A", timeout=5).ok
    page.wait_for_function(
        "n => document.querySelectorAll('#waiting-numbers option').length > n", arg=shown
    )
    playwright_api.expect(form.locator("input[name=ticket]")).to_have_value(number)
    playwright_api.expect(form.locator("select[name=to]")).to_have_value("service:D")
    form.locator('button[data-op="move"]').click()
    playwright_api.expect(page.locator("#result")).to_have_text("Done.")
    playwright_api.expect(page.locator('#p-queues tr[data-service="D"] .numbers')).to_contain_text(
        number
    )
    form = page.locator("#p-ticket form")
    form.locator("input[name=ticket]").fill(number)
    form.locator('button[data-op="cancel"]').click()
    playwright_api.expect(page.locator("#result")).to_have_text("Done.")
    playwright_api.expect(
        page.locator('#p-queues tr[data-service="D"] .numbers')
    ).not_to_contain_text(number)
    page.context.close()


def test_screenshots_at_desktop_and_tablet_sizes(browser: Any, live: Live, tmp_path: Path) -> None:
    for service in ("A", "A", "B", "D", "C", "A", "D", "D"):
        assert live.kiosk.request("issue_ticket", service=service, timeout=5).ok
    _low_rating(live)
    assert live.kiosk.request("issue_ticket", service="A", timeout=5).ok
    assert live.counter.request("call_next", counter="1", timeout=5).ok
    shots = tmp_path / "screens"
    shots.mkdir()
    for lang in ("zh-Hans", "en"):
        for size in ((1366, 768), (1024, 768)):
            page = _login(browser, live, lang=lang, size=size)
            playwright_api.expect(page.locator("#p-counters .serving").first).to_be_visible()
            over_wait = page.locator('#p-alerts li[data-code="over_wait"]').first
            playwright_api.expect(over_wait).to_be_visible(timeout=15000)
            playwright_api.expect(page.locator("#p-staffing .group").first).to_be_visible()
            assert page.locator("html").get_attribute("lang") == lang
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{lang} {size}: {overflow}px wider than the window"
            name = f"console-{lang}-{size[0]}x{size[1]}"
            page.screenshot(path=str(shots / f"{name}.png"))
            page.screenshot(path=str(shots / f"{name}-full.png"), full_page=True)
            for panel in ("alerts", "staffing"):
                box = page.locator(f"#p-{panel}")
                box.scroll_into_view_if_needed()
                box.screenshot(path=str(shots / f"{name}-{panel}.png"))
            page.context.close()
    print(f"screenshots in {shots}")
    assert len(list(shots.glob("*.png"))) == 16
