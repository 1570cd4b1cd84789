"""Words the counter shows: keypad text line (32 bytes) and counter LED strip lines.

Kept apart from the flow so a branch can change wording without touching
logic. Keypad lines must fit 32 GB18030 bytes (16 Chinese characters); the
flow cuts anything longer at a character boundary. Refusal codes come from
the queue core; an unknown code is shown as itself, so a new refusal is still
visible to the teller rather than silent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

REFUSALS: Mapping[str, str] = {
    "queue_empty": "无人等候 empty",
    "counter_closed": "窗口未开 closed",
    "counter_paused": "窗口暂停 paused",
    "counter_busy": "请先完成 finish",
    "tickets_on_hold": "有挂起号 on hold",
    "nothing_called": "未叫号 no ticket",
    "not_logged_in": "未登录 log in",
    "already_logged_in": "已登录",
    "teller_present": "他人已登录",
    "teller_elsewhere": "已在他窗登录",
    "already_open": "窗口已开 open",
    "already_closed": "窗口已关 closed",
    "already_paused": "已暂停 paused",
    "not_paused": "未暂停",
    "unknown_ticket": "无此号 no ticket",
    "unknown_service": "无此业务",
    "unknown_counter": "无此窗口",
    "ticket_not_waiting": "该号不在队列",
    "not_served_here": "本窗不办此业务",
    "not_held": "未挂起 not held",
    "ticket_at_counter": "该号在他窗",
    "same_service": "同一业务",
    "same_counter": "同一窗口",
    "same_services": "业务未变",
    "no_counter_service": "自助业务无需窗口",
    "nothing_to_rate": "无可评价",
    "already_rated": "已评价",
    "rating_expired": "评价超时",
    "self_service": "自助业务",
    "numbers_exhausted": "号码用尽",
    "no_notice": "无公告",
    "invalid": "指令无效 invalid",
    "malformed": "指令无效 invalid",
}


@dataclass(frozen=True, slots=True)
class Texts:
    """Every sentence the counter shows, in one table; format fields in braces."""

    welcome: str = "欢迎光临 Welcome"
    closed: str = "暂停服务 Closed"
    paused: str = "暂停服务 请稍候 Paused"
    serving: str = "{number} 请到{counter}号窗口"  # 16 columns: fits a strip
    thanks: str = "谢谢您的评价 Thank you"
    kp_logged_out: str = "请输入工号+登录"
    kp_idle: str = "{teller} 就绪"
    kp_closed: str = "{teller} 窗口关闭"
    kp_paused: str = "{teller} 暂停中"
    kp_serving: str = "{number} 服务中"
    kp_called: str = "已叫 {number}"
    kp_recalled: str = "重呼 {number}"
    kp_done: str = "完成 done"
    kp_typed: str = "输入 {typed}"
    kp_ticket: str = "叫号 {ticket}?"
    kp_transfer_ask: str = "转至? 业务1-9/0+窗口"
    kp_transfer_to: str = "转至 {target}?"
    kp_transferred: str = "已转 {target}"
    service_target: str = "业务{service}"  # a transfer target while it is typed
    counter_target: str = "{counter}号窗口"  # a transfer target, typed or done
    kp_held: str = "已挂起 {number}"
    kp_busy: str = "处理中 wait"
    kp_offline: str = "引擎离线 offline"
    kp_link_down: str = "网络断开 no link"
    kp_bad_entry: str = "输入无效 invalid"
    kp_rated: str = "评价 {value}/{scale}"
    kp_unrated: str = "未评价 unrated"
    kp_over_wait: str = "超时 {number} 等{minutes}分"
    refusals: Mapping[str, str] = field(default_factory=lambda: dict(REFUSALS))

    def refusal(self, code: str | None) -> str:
        """Short line for a refusal code; the code itself when the table lacks it."""
        if code is None:
            return self.refusals["invalid"]
        return self.refusals.get(code, f"拒绝 {code}")
