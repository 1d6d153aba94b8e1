#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Judges one run of the CI performance job (scripts/perf.sh calls this).

Reads the targets (bench/targets.json), the Google Benchmark JSON of the
run, runs the callgrind workloads (bench/cg/), and writes:
  OUT/result.json  machine, commit, every figure with its status
  OUT/ratios.png   each judged figure against its target band
  OUT/insn.png     instruction counts against their recorded bands
  OUT/echo.png     echo throughput over time, both sides of each A/B job
  OUT/latency.png  apps/gen's latency percentiles at a fraction of capacity
End-to-end figures come from the JSON of scripts/echo_1core.sh and
scripts/echo_ab.sh (--e2e JOB=FILE.json); a job that left none is NOT
MEASURED with the reason (missing testpmd or hugepages, or its log's last
line).
Prints one line per figure and exits 1 when a gating figure FAILs or a
figure that should exist now is NOT MEASURED; 0 otherwise.

Run with Debian's /usr/bin/python3 (python3-matplotlib); without
matplotlib the plots are skipped with a message and the verdict stands.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

PASS, FAIL, INFO = "PASS", "FAIL", "INFO"
NOT_MEASURED, SKIPPED = "NOT MEASURED", "SKIPPED"


# ---------------------------------------------------------------- inputs

def load_bench(path, how=None):
    """Medians, spread and errors per benchmark from Google Benchmark JSON,
    or (None, why the suite left none). how: how tern-bench ended, from
    perf.sh, so the reason names a crash or a timeout."""
    ended = f"tern-bench {how}" if how else "tern-bench did not finish"
    if path is None or not os.path.exists(path) or os.path.getsize(path) == 0:
        return None, f"the benchmark suite left no JSON ({ended})"
    try:
        with open(path) as f:
            data = json.load(f)
    except ValueError as e:
        # a crash or a kill mid-run leaves '"benchmarks": [' and no more
        return None, f"{ended}, its JSON truncated ({e})"
    out = {}
    for b in data.get("benchmarks", []):
        run = b.get("run_name", b["name"])
        # Wall-time benchmarks (UseRealTime) are reported as NAME/real_time.
        if run.endswith("/real_time"):
            run = run[: -len("/real_time")]
        e = out.setdefault(run, {})
        if b.get("error_occurred"):
            e["error"] = b.get("error_message", "error")
            continue
        agg = b.get("aggregate_name")
        if agg in ("median", "cv", "stddev"):
            e[agg] = {"cpu": b["cpu_time"], "real": b["real_time"],
                      "unit": b.get("time_unit", "ns")}
            e["repetitions"] = b.get("repetitions")
    return {"context": data.get("context", {}), "runs": out, "how": how}, None


def to_ns(v, unit):
    return v * {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]


def bench_median(ctx, name, clock):
    """(median ns, cv) or (None, reason)."""
    bench = ctx["bench"]
    if bench is None:
        return None, ctx["bench_why"]
    e = bench["runs"].get(name)
    if e is None:
        if bench["how"]:  # a valid JSON from a run that did not end well
            return None, f"{name} not in the JSON: tern-bench {bench['how']}"
        return None, f"{name} did not run (not in the suite)"
    if "error" in e:
        return None, f"{name} failed: {e['error']}"
    if "median" not in e:
        return None, f"{name}: no median in the JSON (repetitions < 2?)"
    m = e["median"]
    cv = e.get("cv", {}).get(clock)
    return (to_ns(m[clock], m["unit"]), cv), None


# One workload under callgrind takes 5-25 s on this VM; twelve of them
# must not hold the job past its few minutes when one hangs.
CG_TIMEOUT_S = 120


def callgrind_ir(prog, n, workdir):
    """Instructions counted between cg_begin() and cg_end() of prog N."""
    out = os.path.join(workdir, f"{os.path.basename(prog)}.{n}.out")
    cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
           f"--callgrind-out-file={out}", prog, str(n)]
    try:
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, timeout=CG_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{os.path.basename(prog)} {n} ran past {CG_TIMEOUT_S} s "
                           "under callgrind: killed") from None
    if r.returncode != 0:
        tail = " | ".join(l for l in r.stderr.splitlines()[-3:] if l.strip())
        raise RuntimeError(f"{os.path.basename(prog)} {n} exited {r.returncode}: {tail}")
    with open(out) as f:
        for line in f:
            m = re.match(r"^(?:totals|summary):\s+(\d+)", line)
            if m:
                return int(m.group(1))
    raise RuntimeError(f"no totals line in {out}")


# ------------------------------------------------------------- measuring

def measure(fig, ctx):
    """Fills fig['value'] (and inputs) or returns the reason it cannot."""
    kind = fig["kind"]
    clock = fig.get("time", "cpu")
    if kind in ("ratio", "info") and "num" in fig:
        num, why = bench_median(ctx, fig["num"], clock)
        if num is None:
            return why
        den, why = bench_median(ctx, fig["den"], clock)
        if den is None:
            return why
        fig["value"] = num[0] / den[0]
        fig["unit"] = "ratio"
        fig["inputs"] = {fig["num"]: {"median_ns": num[0], "cv": num[1]},
                         fig["den"]: {"median_ns": den[0], "cv": den[1]},
                         "clock": clock}
        return None
    if kind in ("time", "info"):
        v, why = bench_median(ctx, fig["bench"], clock)
        if v is None:
            return why
        fig["value"], fig["unit"] = v[0], "ns"
        fig["inputs"] = {fig["bench"]: {"median_ns": v[0], "cv": v[1]}, "clock": clock}
        return None
    if kind == "callgrind":
        if ctx["cg_dir"] is None:
            return "callgrind counts not requested"
        if shutil.which("valgrind") is None:
            return "valgrind not installed (scripts/setup.sh installs it)"
        prog = os.path.join(ctx["cg_dir"], fig["program"])
        if not os.access(prog, os.X_OK):
            return f"{fig['program']} not built (bench/cg/)"
        n = int(fig["n"])
        try:
            ir1 = callgrind_ir(prog, n, ctx["workdir"])
            ir2 = callgrind_ir(prog, 2 * n, ctx["workdir"])
        except RuntimeError as e:
            return str(e)
        fig["value"] = (ir2 - ir1) / n
        fig["inputs"] = {"n": n, "ir_n": ir1, "ir_2n": ir2}
        return None
    if kind == "e2e":
        return measure_e2e(fig, ctx)
    return f"unknown kind {kind!r} in the targets file"


# ------------------------------------------------------ end-to-end jobs

def e2e_reason(ctx, job):
    """Why an end-to-end job left no result: what is missing, else the
    job's own last words (its log, JOB.log beside JOB.json)."""
    missing = []
    if shutil.which("dpdk-testpmd") is None:
        missing.append("dpdk-testpmd missing (apt-get install dpdk)")
    try:
        with open("/proc/meminfo") as f:
            free = [int(l.split()[1]) for l in f if l.startswith("HugePages_Free:")]
        if not free or free[0] == 0:
            missing.append("no free hugepages (run scripts/setup.sh as root)")
    except OSError:
        missing.append("cannot read /proc/meminfo")
    if missing:
        return "; ".join(missing)
    path = ctx["e2e"].get(job)
    if path is None:
        return f"the {job} job was not run"
    log = os.path.splitext(path)[0] + ".log"
    try:
        with open(log) as f:
            last = [l.strip() for l in f if l.strip()]
        if last:
            return f"the {job} job left no result: {last[-1]} (log: {log})"
    except OSError:
        pass
    return f"the {job} job left no result ({path} missing)"


def load_e2e(ctx, job):
    """The job's JSON, or (None, why)."""
    path = ctx["e2e"].get(job)
    if path is None or not os.path.exists(path) or os.path.getsize(path) == 0:
        return None, e2e_reason(ctx, job)
    try:
        with open(path) as f:
            return json.load(f), None
    except ValueError as e:
        return None, f"{path}: not JSON ({e})"


def measure_e2e(fig, ctx):
    """An A/B ratio (echo_1core, echo_ab) or the latency of echo_ab."""
    job = fig.get("job")
    src = "echo_ab" if job == "echo_ab_latency" else job
    if src not in ("echo_1core", "echo_ab"):
        return f"unknown end-to-end job {job!r} in the targets file"
    data, why = load_e2e(ctx, src)
    if data is None:
        return why
    if job == "echo_ab_latency":
        lat = data.get("latency_at_fraction")
        if lat is None:
            return "echo_ab measured no latency run (no capacity, or --fraction 0)"
        fig["value"], fig["unit"] = float(lat["latency_ns"]["p99"]), "ns"
        fig["inputs"] = lat
        return None
    if data.get("problems"):
        # a run that dropped, leaked or failed is not a measurement to judge
        return "; ".join(data["problems"])
    # "figure": which of the job's numbers is judged (median_ratio, or
    # median_ratio_per_cpu: the same per second of CPU each side got)
    key = fig.get("figure", "median_ratio")
    if key not in data:
        return f"the job's JSON has no {key} (no complete A/B pair): see the log"
    fig["value"], fig["unit"] = data[key], "ratio"
    fig["inputs"] = {k: data.get(k) for k in
                     ("a", "b", "ratios", "min_ratio", "max_ratio", "median_a_pps",
                      "median_b_pps", "median_ratio_per_cpu", "ratios_per_cpu",
                      "problems", "seconds", "frame_bytes")}
    fig["inputs"]["runs"] = [{k: r.get(k) for k in
                              ("pair", "side", "start", "at", "samples_pps", "rx_pps",
                               "cpu_share")
                              if k in r} for r in data.get("runs", [])]
    for r, src_run in zip(fig["inputs"]["runs"], data.get("runs", [])):
        if "rx_pps" not in r and "summary" in src_run:  # echo_ab: gen's summary
            r["rx_pps"] = src_run["summary"].get("rx_pps")
    if "phase_split_mpps" in fig:
        # the two-process figure swings between modes for minutes: which
        # one this run saw is the absolute level of the baseline
        b = data["median_b_pps"] / 1e6
        fig["phase"] = {"testpmd_mpps": round(b, 2),
                        "mode": "high" if b >= fig["phase_split_mpps"] else "low",
                        "split_mpps": fig["phase_split_mpps"]}
    return None


def e2e_detail(fig):
    """What a reader needs beside the verdict of an end-to-end figure."""
    i = fig.get("inputs", {})
    if fig.get("unit") == "ns":
        l = i["latency_ns"]
        return (f"p50 {l['p50'] / 1e3:.1f} us, p99 {l['p99'] / 1e3:.1f} us, "
                f"p99.9 {l['p99.9'] / 1e3:.1f} us at {i['fraction']:g} of capacity "
                f"({i['offered_pps'] / 1e6:.2f} Mpps offered, loss {i['loss_pct']:.3f}%)")
    n = len(i["ratios"])
    d = (f"median of {n} pair{'s' if n != 1 else ''}, {i['min_ratio']:.2f}..{i['max_ratio']:.2f}; "
         f"{i['median_a_pps'] / 1e6:.2f} vs {i['median_b_pps'] / 1e6:.2f} Mpps")
    if i.get("median_ratio_per_cpu") is not None:
        d += f"; per CPU-second {i['median_ratio_per_cpu']:.2f}"
    if "phase" in fig:
        d += f"; phase {fig['phase']['mode']} ({fig['phase']['testpmd_mpps']:.1f} Mpps testpmd)"
    return d


# --------------------------------------------------------------- judging

def judge(fig):
    v = fig.get("value")
    if fig["kind"] == "info":
        return INFO, ""
    if fig["kind"] == "callgrind":
        exp, tol = fig.get("expected"), fig.get("delta_tolerance", 0.03)
        if exp is None:
            return INFO, "no recorded value yet (scripts/perf.sh --record)"
        delta = (v - exp) / exp
        fig["delta"] = delta
        ok = abs(delta) <= tol
        word = "more" if delta > 0 else "fewer"
        how = f"{abs(delta) * 100:.1f}% {word} than recorded {exp:g} (band +-{tol * 100:g}%)"
        if not ok and delta < 0:
            how += ": if intended, re-record with scripts/perf.sh --record"
        return (PASS if ok else FAIL), how
    if "max" in fig:
        ok = v <= fig["max"]
        return (PASS if ok else FAIL), f"{v / fig['max'] * 100:.0f}% of the limit <= {fig['max']:g}"
    if "min" in fig:
        ok = v >= fig["min"]
        return (PASS if ok else FAIL), f"{v / fig['min'] * 100:.0f}% of the floor >= {fig['min']:g}"
    return INFO, "no bound in the targets file"


def evaluate(fig, ctx):
    fig = dict(fig)
    fig.setdefault("gate", True)
    pending = fig.get("pending")
    if fig.get("mode") == "full" and ctx["mode"] != "full":
        fig["status"], fig["detail"] = SKIPPED, "full mode only"
        if pending:
            fig["detail"] += f" (pending {pending})"
        fig["fails_job"] = False
        return fig
    why = ctx["not_run"] or measure(fig, ctx)
    if why is not None:
        fig["status"], fig["detail"] = NOT_MEASURED, why
        if pending:
            fig["detail"] = f"pending {pending}: {why}"
        fig["fails_job"] = not pending
        return fig
    fig["status"], fig["detail"] = judge(fig)
    if fig["kind"] == "e2e":
        extra = e2e_detail(fig)
        fig["detail"] = f"{fig['detail']}; {extra}" if fig["detail"] and \
            fig["status"] != INFO else extra
    fig["fails_job"] = fig["status"] == FAIL and fig["gate"] and not pending
    if pending:
        fig["detail"] += f" [measured although marked pending {pending}: drop the mark]"
    elif fig["status"] == FAIL and not fig["gate"]:
        fig["detail"] += " [not gating: " + fig.get("note", "known miss") + "]"
    elif fig["status"] == PASS and not fig["gate"]:
        fig["detail"] += " [not gating: " + fig.get("note", "") + "]"
    return fig


# ---------------------------------------------------------------- output

def git(root, *args):
    try:
        return subprocess.run(["git", "-C", root, *args], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (subprocess.CalledProcessError, OSError):
        return None


def machine_info(bench):
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {"hostname": platform.node(), "kernel": platform.release(),
            "machine": platform.machine(), "cpu_model": cpu,
            "online_cpus": os.cpu_count(), "load_avg": os.getloadavg()}
    if bench is not None:
        c = bench["context"]
        info["benchmark_context"] = {k: c.get(k) for k in
                                     ("num_cpus", "mhz_per_cpu", "cpu_scaling_enabled",
                                      "library_build_type", "load_avg")}
    return info


def fmt_value(fig):
    v = fig.get("value")
    if v is None:
        return "-"
    if fig["kind"] == "callgrind":
        return f"{v:.2f} insn"
    if fig["kind"] == "e2e" and fig.get("unit") == "ns":
        return f"{v / 1e3:.1f} us"
    return f"{v:.3f}" if fig.get("unit") == "ratio" else f"{v:.2f} ns"


def job_column(f):
    """What the figure did to the job's verdict (not what it would do if
    judged: a NOT MEASURED figure fails the job even when its FAIL would
    not)."""
    if f["fails_job"]:
        return "FAILS"
    if f["status"] in (INFO, SKIPPED):
        return "-"
    if f.get("pending"):
        return "pending"
    return "gates" if f["gate"] else "no gate"


def print_table(figs):
    print(f"{'figure':30} {'value':>13}  {'status':12} {'job':7}  detail")
    for f in figs:
        print(f"{f['name']:30} {fmt_value(f):>13}  {f['status']:12} {job_column(f):7}  "
              f"{f['detail']}")
    print("job: FAILS this figure fails the job; gates passed and would fail it; "
          "no gate judged, a FAIL is reported only; pending/- never fail it")


def plot(figs, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("perf: matplotlib missing: no plots (run with /usr/bin/python3 "
              "after scripts/setup.sh)", file=sys.stderr)
        return []
    colour = {PASS: "tab:green", FAIL: "tab:red", INFO: "tab:blue"}
    made = []

    # Ratios and times as a fraction of their bound: 1.0 is the target line.
    rows = [f for f in figs if f.get("value") is not None and
            (f["kind"] in ("ratio", "time") or
             (f["kind"] == "e2e" and ("min" in f or "max" in f)))]
    if rows:
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 1.2), dpi=80)
        names = [f["name"] + (f" (pending {f['pending']})" if f.get("pending") else
                              "" if f["gate"] else " (not gating)") for f in rows]
        vals = [f["value"] / f["max"] if "max" in f else f["min"] / f["value"] for f in rows]
        ax.barh(names, vals, color=[colour.get(f["status"], "grey") for f in rows])
        ax.axvline(1.0, color="black", linestyle="--", linewidth=1)
        for i, f in enumerate(rows):
            ax.text(vals[i], i, f"  {fmt_value(f)}", va="center", fontsize=8)
        ax.set_xlabel("measured / limit from the issue (left of the dashed line passes)")
        ax.invert_yaxis()
        ax.set_xlim(0, max(vals + [1.0]) * 1.35)
        ax.set_title("Same-run ratios against their targets")
        fig.tight_layout()
        fig.savefig(os.path.join(out, "ratios.png"))
        plt.close(fig)
        made.append("ratios.png")

    rows = [f for f in figs if f["kind"] == "callgrind" and f.get("value") is not None]
    if rows:
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 1.2), dpi=80)
        names = [f["name"] for f in rows]
        ax.barh(names, [f["value"] for f in rows],
                color=[colour.get(f["status"], "grey") for f in rows])
        for i, f in enumerate(rows):
            if f.get("expected") is not None:
                tol = f["expected"] * f.get("delta_tolerance", 0.03)
                ax.errorbar(f["expected"], i, xerr=tol, color="black", capsize=4)
            ax.text(f["value"], i, f"  {f['value']:.1f} {f.get('unit', '')}",
                    va="center", fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel("instructions per operation (callgrind; black: recorded band)")
        ax.invert_yaxis()
        ax.set_xlim(right=max(f["value"] for f in rows) * 8)
        ax.set_title("Exact instruction counts")
        fig.tight_layout()
        fig.savefig(os.path.join(out, "insn.png"))
        plt.close(fig)
        made.append("insn.png")
    made += plot_echo(plt, figs, out)
    made += plot_latency(plt, figs, out)
    return made


def plot_echo(plt, figs, out):
    """Echo throughput over time, both sides of each A/B job."""
    jobs = [f for f in figs if f["kind"] == "e2e" and f.get("unit") == "ratio"
            and f.get("inputs", {}).get("runs")]
    if not jobs:
        return []
    fig, axes = plt.subplots(len(jobs), 1, figsize=(7, 2.8 * len(jobs)), dpi=80,
                             squeeze=False)
    for ax, f in zip(axes[:, 0], jobs):
        runs = f["inputs"]["runs"]
        t0 = min(r.get("start", r.get("at", 0)) for r in runs)
        for side, colour in (("A", "tab:blue"), ("B", "tab:orange")):
            label = f["inputs"]["a"] if side == "A" else f["inputs"]["b"]
            xs, ys = [], []
            for r in (r for r in runs if r["side"] == side):
                if r.get("samples_pps"):  # one point a second
                    xs += [r["start"] - t0 + i + 1 for i in range(len(r["samples_pps"]))]
                    ys += [v / 1e6 for v in r["samples_pps"]]
                    xs.append(float("nan"))
                    ys.append(float("nan"))
                elif r.get("rx_pps") is not None:  # one point a run
                    xs.append(r["at"] - t0)
                    ys.append(r["rx_pps"] / 1e6)
            ax.plot(xs, ys, marker=".", color=colour, label=label)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("Mpps received")
        ax.set_title(f"{f['name']}: median ratio {f['value']:.3f}", fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
    axes[-1, 0].set_xlabel("seconds since the job's first run")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "echo.png"))
    plt.close(fig)
    return ["echo.png"]


def plot_latency(plt, figs, out):
    """apps/gen's latency percentiles at a fixed fraction of capacity."""
    f = next((f for f in figs if f["kind"] == "e2e" and f.get("unit") == "ns"
              and f.get("value") is not None), None)
    if f is None:
        return []
    lat = f["inputs"]["latency_ns"]
    keys = [k for k in ("min", "p50", "p90", "p99", "p99.9", "max") if k in lat]
    fig, ax = plt.subplots(figsize=(7, 3), dpi=80)
    ax.plot(keys, [lat[k] / 1e3 for k in keys], marker="o")
    ax.set_yscale("log")
    ax.set_ylabel("latency (us)")
    ax.set_title(f"tern-gen latency at {f['inputs']['fraction']:g} of the measured capacity "
                 f"({f['inputs']['offered_pps'] / 1e6:.2f} Mpps)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "latency.png"))
    plt.close(fig)
    return ["latency.png"]


def record(targets_path, figs):
    """Writes measured callgrind counts back as the recorded values.

    Edits the text in place (only the numbers after "expected") so the
    file keeps its layout and the diff shows just what changed."""
    with open(targets_path) as fh:
        text = fh.read()
    changed = []
    for f in figs:
        if f["kind"] != "callgrind" or f.get("value") is None:
            continue
        at = text.find(f'"name": "{f["name"]}"')
        m = re.compile(r'"expected":\s*[-0-9.eE+]+').search(text, at)
        nxt = text.find('"name":', at + 1)
        if at < 0 or m is None or (nxt >= 0 and m.start() > nxt):
            print(f"perf: {f['name']}: no \"expected\" to record into; add one by hand")
            continue
        text = text[:m.start()] + f'"expected": {round(f["value"], 2)}' + text[m.end():]
        changed.append(f["name"])
    json.loads(text)  # never write a file the job cannot read back
    with open(targets_path, "w") as fh:
        fh.write(text)
    print(f"perf: recorded {len(changed)} instruction counts in {targets_path}: "
          + ", ".join(changed))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True, help="source tree")
    ap.add_argument("--targets", required=True)
    ap.add_argument("--bench-json", help="Google Benchmark JSON of this run")
    ap.add_argument("--cg-dir", help="directory with the tern-cg-* programs")
    ap.add_argument("--mode", choices=("quick", "full"), default="quick")
    ap.add_argument("--out", required=True)
    ap.add_argument("--record", action="store_true",
                    help="write the measured instruction counts into the targets file")
    ap.add_argument("--e2e", action="append", default=[], metavar="JOB=FILE.json",
                    help="an end-to-end job's result (echo_1core, echo_ab); its log "
                    "is FILE.log")
    ap.add_argument("--extra", action="append", default=[],
                    help="KEY=VALUE added to the result's 'run' section")
    ap.add_argument("--started", type=float,
                    help="epoch seconds the job started, for its wall time")
    ap.add_argument("--bench-ended", metavar="HOW",
                    help="how tern-bench ended when not with 0 ('killed by signal 11', ...)")
    ap.add_argument("--not-run", metavar="WHY",
                    help="nothing was measured (set-up or build failed): every figure "
                    "NOT MEASURED for this reason")
    a = ap.parse_args()

    with open(a.targets) as f:
        targets = json.load(f)
    bench, bench_why = load_bench(a.bench_json, a.bench_ended)
    os.makedirs(a.out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tern-cg-") as work:
        ctx = {"bench": bench, "bench_why": bench_why, "cg_dir": a.cg_dir,
               "workdir": work, "mode": a.mode, "root": a.root, "not_run": a.not_run,
               "e2e": dict(kv.split("=", 1) for kv in a.e2e)}
        figs = [evaluate(t, ctx) for t in targets["figures"]]

    print_table(figs)
    plots = plot(figs, a.out)
    failing = [f for f in figs if f["fails_job"]]
    result = {
        "schema": 1,
        "run": {"mode": a.mode,
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                "commit": git(a.root, "rev-parse", "HEAD"),
                "dirty": bool(git(a.root, "status", "--porcelain", "--untracked-files=no")),
                "wall_s": round(time.time() - a.started, 1) if a.started else None,
                **dict(kv.split("=", 1) for kv in a.extra)},
        "machine": machine_info(bench),
        "targets_file": os.path.relpath(a.targets, a.root),
        "figures": figs,
        "plots": plots,
        "verdict": "fail" if failing else "pass",
        "failing": [f["name"] for f in failing],
    }
    with open(os.path.join(a.out, "result.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    if a.record:
        record(a.targets, figs)

    counts = {}
    for f in figs:
        counts[f["status"]] = counts.get(f["status"], 0) + 1
    summary = ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items()))
    print(f"perf: {summary}; result in {os.path.join(a.out, 'result.json')}")
    for f in failing:
        print(f"perf: FAILS THE JOB: {f['name']}: {f['status']}: {f['detail']}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
