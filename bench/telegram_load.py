"""Load test of the Telegram bot: N users x M questions against the fake Bot API server.

The bot runs as it does in production (``sanad telegram`` in its own process, PTB's real
network stack, long polling) against tests/fakebot.py on 127.0.0.1. Questions arrive open
loop at ``--rate`` updates/s, spread over ``--users`` private chats; a reply's latency is the
time from the update being available to the server receiving the bot's ``sendMessage``.
A question with no reply once the queue has drained is lost.

    python bench/telegram_load.py                       # 200 users x 5 questions at 100/s
    python bench/telegram_load.py --max-rate 0,30       # without, then with Telegram's 30 msg/s flood limit
    python bench/telegram_load.py --replicas            # 2 replicas + redis-server, one SIGKILLed halfway,
                                                        # then one process on SQLite for comparison

Prints one markdown table row per ``--max-rate`` value (SANAD_TELEGRAM_MAX_RATE: 0 = no
outgoing limit). Only the loopback interface is used; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections import defaultdict, deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakebot import FakeBotAPI  # noqa: E402

TOKEN = "555000111:AAload-test_token_not_a_real_one_0123456"
QUESTIONS = (
    "ماذا قال كوبلر عن الجيش الليبي؟",
    "وماذا قال أيضاً؟",  # a follow-up: answered in the context of the previous answer
    "ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟",
    "كم عدد النازحين في ليبيا؟",
    "ما هي عاصمة اليابان؟",  # no answer
    "كم عسكريا انضم إلى الثوار في مصراتة؟",
    "ماذا قال المبعوث الأممي عن حكومة الوفاق؟",
    "بماذا وعد عبد الجليل؟",
)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc), NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(q * (len(values) - 1))))
    return values[k]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def run_once(
    users: int, questions: int, rate: float, max_rate: float, drain: float, workers: int, connections: int,
    state_url: str = "memory://",
) -> dict:
    total = users * questions
    pending: dict[int, deque[float]] = defaultdict(deque)
    latencies: list[float] = []
    first_push = last_reply = 0.0

    def on_call(call) -> None:
        nonlocal last_reply
        if call.method == "sendMessage" and call.status == 200:
            queue = pending.get(call.params.get("chat_id"))
            if queue:
                latencies.append(call.done_at - queue.popleft())
                last_reply = call.done_at

    async with FakeBotAPI(TOKEN) as server:
        server.on_call = on_call
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
        env.update(
            SANAD_TELEGRAM_TOKEN=TOKEN,
            SANAD_TELEGRAM_BASE_URL=server.base_url,
            SANAD_TELEGRAM_MAX_RATE=str(max_rate),
            SANAD_TELEGRAM_WORKERS=str(workers),
            SANAD_TELEGRAM_CONNECTIONS=str(connections),
            SANAD_LOG_LEVEL="WARNING",
            SANAD_STATE_URL=state_url,
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "telegram", env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE
        )
        try:
            await server.wait_for(lambda: len(server.of("setMyCommands")) >= 2 and server.of("getUpdates"), 120)
            cpu_before = _cpu_seconds(proc.pid)
            t0 = time.monotonic()
            first_push = t0
            for k in range(total):
                target = t0 + k / rate if rate > 0 else t0
                delay = target - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                user, turn = k % users, k // users
                chat = 10_000 + user
                pending[chat].append(time.monotonic())
                server.push_message(QUESTIONS[(user + turn) % len(QUESTIONS)], chat_id=chat)
            push_seconds = time.monotonic() - t0
            try:
                await server.wait_for(lambda: len(latencies) >= total, drain)
            except TimeoutError:
                pass
            cpu = _cpu_seconds(proc.pid) - cpu_before
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)
            try:
                _, stderr = await asyncio.wait_for(proc.communicate(), 30)
            except TimeoutError:
                proc.kill()
                _, stderr = await proc.communicate()
    span = (last_reply - first_push) if last_reply else float("nan")
    errors = [line for line in stderr.decode(errors="replace").splitlines() if " ERROR " in line]
    return {
        "users": users,
        "questions": questions,
        "updates": total,
        "offered": total / push_seconds if push_seconds > 0 else float("inf"),
        "max_rate": max_rate,
        "throughput": len(latencies) / span if span and span > 0 else float("nan"),
        "p50": 1000 * _percentile(latencies, 0.50),
        "p95": 1000 * _percentile(latencies, 0.95),
        "max": 1000 * max(latencies, default=float("nan")),
        "lost": total - len(latencies),
        "cpu_ms": 1000 * cpu / total,
        "errors": len(errors),
        "duplicated": 0,
        "shape": "1 process, long polling, " + state_url.split(":", 1)[0],
    }


async def run_replicas(users: int, questions: int, rate: float, drain: float, workdir: Path) -> dict:
    """Two webhook replicas on a redis-server started here; replica 1 is SIGKILLed halfway and its
    share of the posts then goes to replica 2 (what the reverse proxy does once its check fails)."""
    import aiohttp

    total = users * questions
    sent_at: dict[int, deque[float]] = defaultdict(deque)
    replies: dict[int, int] = defaultdict(int)
    latencies: list[float] = []
    first_push = last_reply = 0.0

    def on_call(call) -> None:
        nonlocal last_reply
        if call.method == "sendMessage" and call.status == 200:
            chat = call.params.get("chat_id")
            replies[chat] += 1
            if sent_at.get(chat):
                latencies.append(call.done_at - sent_at[chat].popleft())
                last_reply = call.done_at

    redis_port = _free_port()
    redis = await asyncio.create_subprocess_exec(
        shutil.which("redis-server") or "redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
        "--dir", str(workdir), "--save", "", "--appendonly", "no", stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    secret = "load-test-secret"
    procs, ports = [], [_free_port(), _free_port()]
    async with FakeBotAPI(TOKEN) as server, aiohttp.ClientSession() as http:
        server.on_call = on_call
        try:
            for port in ports:
                env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
                env.update(
                    SANAD_TELEGRAM_TOKEN=TOKEN, SANAD_TELEGRAM_BASE_URL=server.base_url, SANAD_TELEGRAM_MAX_RATE="0",
                    SANAD_TELEGRAM_WEBHOOK_URL="https://bot.example/hook", SANAD_TELEGRAM_WEBHOOK_SECRET=secret,
                    SANAD_TELEGRAM_LISTEN="127.0.0.1", SANAD_TELEGRAM_PORT=str(port),
                    SANAD_STATE_URL=f"redis://127.0.0.1:{redis_port}/0", SANAD_LOG_LEVEL="WARNING",
                )  # fmt: skip
                procs.append(await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", "telegram", env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE))
            await server.wait_for(lambda: len(server.of("setWebhook")) >= 2, 120)
            await asyncio.sleep(3)  # the streams split between the two
            alive = [0, 1]

            async def post(update: dict) -> None:
                for _ in range(20):
                    port = ports[alive[update["update_id"] % len(alive)]]
                    try:
                        async with http.post(f"http://127.0.0.1:{port}/hook", json=update,
                                             headers={"X-Telegram-Bot-Api-Secret-Token": secret}) as r:  # fmt: skip
                            if r.status == 200:
                                return
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.05)

            t0 = first_push = time.monotonic()
            posts = []
            for k in range(total):
                delay = t0 + k / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if k == total // 2:
                    procs[0].send_signal(signal.SIGKILL)
                    alive.remove(0)
                user, turn = k % users, k // users
                chat = 10_000 + user
                sent_at[chat].append(time.monotonic())
                message = server.make_message(QUESTIONS[(user + turn) % len(QUESTIONS)], chat_id=chat)
                posts.append(asyncio.create_task(post({"update_id": 1 + k, "message": message})))
            await asyncio.gather(*posts)
            push_seconds = time.monotonic() - t0
            try:
                await server.wait_for(lambda: len(latencies) >= total, drain)
            except TimeoutError:
                pass
            await asyncio.sleep(2)  # late duplicates, if any
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGINT)
            for proc in procs:
                try:
                    await asyncio.wait_for(proc.communicate(), 30)
                except TimeoutError:
                    proc.kill()
            redis.kill()
            await redis.wait()
    asked: dict[int, int] = defaultdict(int)
    for k in range(total):
        asked[10_000 + k % users] += 1
    span = (last_reply - first_push) if last_reply else float("nan")
    return {
        "users": users, "questions": questions, "updates": total, "max_rate": 0,
        "offered": total / push_seconds if push_seconds > 0 else float("inf"),
        "throughput": len(latencies) / span if span and span > 0 else float("nan"),
        "p50": 1000 * _percentile(latencies, 0.50), "p95": 1000 * _percentile(latencies, 0.95),
        "max": 1000 * max(latencies, default=float("nan")),
        "lost": sum(max(0, asked[c] - replies[c]) for c in asked),
        "duplicated": sum(max(0, replies[c] - asked[c]) for c in replies),
        "cpu_ms": float("nan"), "errors": 0,
        "shape": "2 replicas + Redis, webhook, replica 1 SIGKILLed halfway",
    }  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--questions", type=int, default=5, help="questions per user")
    p.add_argument("--rate", type=float, default=100.0, help="updates per second offered (0: all at once)")
    p.add_argument(
        "--max-rate", default="0", help="SANAD_TELEGRAM_MAX_RATE values to run, comma-separated (0: no outgoing limit)"
    )
    p.add_argument("--workers", type=int, default=4, help="SANAD_TELEGRAM_WORKERS (retrieval threads)")
    p.add_argument("--connections", type=int, default=8, help="SANAD_TELEGRAM_CONNECTIONS (HTTP connections)")
    p.add_argument(
        "--drain", type=float, default=0, help="seconds to wait for replies after the last update (default: auto)"
    )
    p.add_argument("--replicas", action="store_true", help="2 replicas + Redis with a SIGKILL, then 1 process on SQLite")
    args = p.parse_args()
    if not (1 <= args.users <= 10_000 and 1 <= args.questions <= 100):
        p.error("--users 1..10000, --questions 1..100")

    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} before the run; "
        f"bot: `sanad telegram` in its own process, long polling; fake Bot API on 127.0.0.1\n",
        file=sys.stderr,
    )
    rows = []
    if args.replicas:
        with tempfile.TemporaryDirectory(prefix="sanad-load-") as tmp:
            drain = args.drain or 60.0
            rows.append(asyncio.run(run_replicas(args.users, args.questions, args.rate, drain, Path(tmp))))
            rows.append(asyncio.run(run_once(args.users, args.questions, args.rate, 0, drain, args.workers,
                                             args.connections, f"sqlite:///{Path(tmp) / 'state.sqlite3'}")))  # fmt: skip
    else:
        for value in (float(v) for v in args.max_rate.split(",")):
            total = args.users * args.questions
            drain = args.drain or max(20.0, 1.5 * total / value if value else 0.0)
            rows.append(
                asyncio.run(run_once(args.users, args.questions, args.rate, value, drain, args.workers, args.connections))
            )

    print(
        "| shape | users × questions | updates | offered/s | outgoing limit | replies/s | p50 ms | p95 ms | max ms | lost | duplicated | bot CPU ms/update |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        limit = f"{r['max_rate']:g} msg/s" if r["max_rate"] else "none"
        print(
            f"| {r['shape']} | {r['users']} × {r['questions']} | {r['updates']} | {r['offered']:.0f} | {limit} "
            f"| {r['throughput']:.0f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} | {r['lost']} | {r['duplicated']} "
            f"| {r['cpu_ms']:.1f} |"
        )
    if any(r["errors"] for r in rows):
        print(f"\n(bot logged {sum(r['errors'] for r in rows)} ERROR lines)")
    return 1 if any(r["lost"] or r["duplicated"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
