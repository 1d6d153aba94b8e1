#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The numbers and plot of scripts/rate_sweep.sh, from its steps (JSON lines).

    sweep_report.py next STEPS.jsonl [--stop-loss PCT] [--flat PCT] [--patience N]
        prints "go" or "stop: REASON": whether the sweep goes on after the
        last step (loss past --stop-loss, or delivered throughput no longer
        growing by --flat percent over the best so far for --patience steps)
    sweep_report.py report STEPS.jsonl --out DIR [--knee-loss PCT] [--meta JSON]
        writes DIR/sweep.json and DIR/sweep.png, prints the table and the knee
        (the highest rate up to which every step fell short by less than
        --knee-loss percent of what was offered)

Each step line: {"step": i, "offered_pps": R, "seconds": S, "summary": {...}}
(tern-gen's summary) or {"step": i, "offered_pps": R, "seconds": S,
"failed": "why"}. Runs with Debian's /usr/bin/python3 (python3-matplotlib).
"""
import argparse
import json
import sys


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def step_figures(st):
    """One step's figures; the rates are counts over the step's time.

    The time is the longer of the nominal --seconds and the time tern-gen
    measured (it runs past the end while behind), so delivered <= sent <=
    offered holds as counts do. shortfall is what the DUT did not deliver
    of what was offered: lost requests and requests never sent alike.
    """
    out = {"step": st["step"], "offered_pps": st["offered_pps"], "seconds": st["seconds"]}
    if "failed" in st:
        out["failed"] = st["failed"]
        return out
    s = st["summary"]
    secs = max(float(st["seconds"]), s["seconds"])
    due = st["offered_pps"] * st["seconds"]
    lat = s["latency_ns"]
    out.update(
        sent=s["tx"], delivered=s["rx"], lost=s["lost"], late=s["late"],
        sent_pps=s["tx"] / secs, delivered_pps=s["rx"] / secs,
        loss_pct=s["loss_pct"],
        shortfall_pct=max(0.0, 100.0 * (1 - s["rx"] / due)) if due else 0.0,
        behind_ms=s.get("behind_ms", 0.0), rx_drops=s["rx_drops"],
        tx_retry=s["tx_retry"], alloc_fail=s["alloc_fail"],
        latency_ns={k: lat[k] for k in ("n", "min", "mean", "p50", "p90", "p99", "p99.9", "max")})
    return out


def cmd_next(a):
    steps = [step_figures(s) for s in load(a.steps)]
    last = steps[-1]
    if "failed" in last:
        return "stop: step %d failed (%s)" % (last["step"], last["failed"])
    if last["loss_pct"] > a.stop_loss:
        return "stop: loss %.3f%% above %.3f%%" % (last["loss_pct"], a.stop_loss)
    ok = [s for s in steps if "failed" not in s]
    flat = 0
    best = 0.0
    for s in ok:  # steps in a row that did not beat the best so far by --flat percent
        if s["delivered_pps"] > best * (1 + a.flat / 100.0):
            best, flat = s["delivered_pps"], 0
        else:
            flat += 1
    if flat >= a.patience:
        return "stop: delivered throughput grew less than %g%% for %d steps" % (a.flat, flat)
    return "go"


def knee(steps, pct):
    """The last step of the leading run of steps (in offered order) whose
    delivery fell short by less than pct: the highest rate up to which the
    DUT kept up. A later step that happens to pass again (a lucky second
    on a shared machine) is not the knee when a lower rate fell short or
    failed."""
    last = None
    for s in sorted(steps, key=lambda s: s["offered_pps"]):
        if "failed" in s or s["shortfall_pct"] >= pct:
            break
        last = s
    return last


def fmt_rate(v):
    return "%.3f M" % (v / 1e6) if v >= 1e6 else "%.1f k" % (v / 1e3)


def table(steps):
    rows = ["%4s %11s %11s %11s %8s %8s %9s %9s %9s %9s" % (
        "step", "offered", "sent", "delivered", "loss%", "short%", "p50 us", "p99 us",
        "p99.9 us", "max us")]
    for s in steps:
        if "failed" in s:
            rows.append("%4d %11s  failed: %s" % (s["step"], fmt_rate(s["offered_pps"]), s["failed"]))
            continue
        lat = s["latency_ns"]
        rows.append("%4d %11s %11s %11s %8.3f %8.3f %9.1f %9.1f %9.1f %9.1f" % (
            s["step"], fmt_rate(s["offered_pps"]), fmt_rate(s["sent_pps"]),
            fmt_rate(s["delivered_pps"]), s["loss_pct"], s["shortfall_pct"],
            lat["p50"] / 1e3, lat["p99"] / 1e3, lat["p99.9"] / 1e3, lat["max"] / 1e3))
    return "\n".join(rows)


def plot(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [s for s in res["steps"] if "failed" not in s]
    x = [s["offered_pps"] for s in ok]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(x, x, ":", color="grey", label="offered (ideal)")
    ax1.plot(x, [s["sent_pps"] for s in ok], "s--", ms=4, label="sent by tern-gen")
    ax1.plot(x, [s["delivered_pps"] for s in ok], "o-", label="delivered (echoes)")
    k = res.get("knee")
    for ax in (ax1, ax2):
        if k:
            ax.axvline(k["offered_pps"], color="red", alpha=0.4,
                       label="knee (short < %g%%)" % res["knee_loss_pct"])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("offered load (packets/s)")
        ax.grid(True, which="both", alpha=0.3)
    ax1.set_ylabel("packets/s")
    ax1.set_title("throughput")
    ax1.legend(fontsize=8)
    for key, style in (("p50", "o-"), ("p99", "s-"), ("p99.9", "^-"), ("max", "x:")):
        ys = [(s["offered_pps"], s["latency_ns"][key] / 1e3) for s in ok if s["latency_ns"]["n"]]
        if ys:
            ax2.plot([a for a, _ in ys], [b for _, b in ys], style, ms=4, label=key)
    ax2.set_ylabel("latency (us, scheduled send to echo)")
    ax2.set_title("latency percentiles")
    ax2.legend(fontsize=8)
    fig.suptitle("tern-gen rate sweep: %s, %d-byte frames, %d flow(s), %g s per step" % (
        res["dut"], res["frame_bytes"], res["flows"], res["seconds_per_step"]), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def cmd_report(a):
    meta = json.loads(a.meta) if a.meta else {}
    steps = [step_figures(s) for s in load(a.steps)]
    ok = [s for s in steps if "failed" not in s]
    res = dict(meta)
    res.update(job="rate_sweep", knee_loss_pct=a.knee_loss, steps=steps,
               knee=knee(steps, a.knee_loss),
               max_delivered_pps=max((s["delivered_pps"] for s in ok), default=None),
               failed_steps=len(steps) - len(ok))
    print(table(steps))
    k = res["knee"]
    if k:
        print("knee: %s pps offered, %s delivered (every rate up to it short by less "
              "than %g%%); "
              "p99 %.1f us" % (fmt_rate(k["offered_pps"]), fmt_rate(k["delivered_pps"]),
                               a.knee_loss, k["latency_ns"]["p99"] / 1e3))
    else:
        print("knee: none: the lowest rate already fell short by %g%% or more, or failed"
              % a.knee_loss)
    if ok:
        print("max delivered: %s pps" % fmt_rate(res["max_delivered_pps"]))
    with open(a.out + "/sweep.json", "w") as f:
        json.dump(res, f, indent=1)
    if ok:
        plot(res, a.out + "/sweep.png")
    return 0 if ok and not res["failed_steps"] else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("next")
    n.add_argument("steps")
    n.add_argument("--stop-loss", type=float, default=5.0)
    n.add_argument("--flat", type=float, default=5.0)
    n.add_argument("--patience", type=int, default=2)
    r = sub.add_parser("report")
    r.add_argument("steps")
    r.add_argument("--out", required=True)
    r.add_argument("--knee-loss", type=float, default=0.1)
    r.add_argument("--meta")
    a = ap.parse_args()
    if a.cmd == "next":
        print(cmd_next(a))
        return 0
    return cmd_report(a)


if __name__ == "__main__":
    sys.exit(main())
