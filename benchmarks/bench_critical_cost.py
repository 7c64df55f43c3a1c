"""Measure ``critical_step_sizes`` (CPU seconds, peak RSS) on growing networks, for the up-front estimate.

Each case runs in a fresh process (so its peak RSS is its own); the table gives the
measured CPU time and memory next to :func:`symstab.critical.cost.critical_cost`'s
estimate and their ratio. The model's constants in symstab/critical/cost.py were
fitted on these runs (benchmarks/README.md, "critical and analyze").

    python benchmarks/bench_critical_cost.py            # the default cases (~4 min CPU)
    python benchmarks/bench_critical_cost.py 1,150,150,1 "1,2;3,4"
"""

import json
import subprocess
import sys

CASES = [
    ("1,50,50,1", "2"), ("1,100,100,1", "2"), ("1,150,150,1", "2"),
    ("2,4,4,2", "1,2;3,4"), ("2,8,8,2", "1,2;3,4"), ("2,16,16,2", "1,2;3,4"),
    ("3,6,6,3", "1,2,0;0,1,2;2,0,1"), ("3,12,12,3", "1,2,0;0,1,2;2,0,1"),
    ("4,8,8,4", "1,2,0,0;0,1,2,0;0,0,1,2;2,0,0,1"),
]

CHILD = """
import json, resource, sys, time
from symstab import LinearNetwork
from symstab.exact.numbers import parse_matrix, parse_widths
net = LinearNetwork.whitened(parse_widths(sys.argv[1]), parse_matrix(sys.argv[2]))
t = time.process_time()
net.critical_step_sizes(prove=False, force=True)
print(json.dumps({"cpu": time.process_time() - t,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def main(cases) -> None:
    from symstab import LinearNetwork
    from symstab.critical.cost import critical_cost
    from symstab.exact.numbers import parse_matrix, parse_widths

    print(f"{'widths':>14} {'D':>6} {'cpu s':>8} {'est s':>8} {'ratio':>6} {'RSS MiB':>8} {'est MiB':>8}")
    for widths, target in cases:
        out = subprocess.run([sys.executable, "-c", CHILD, widths, target], capture_output=True, text=True)
        if out.returncode:
            print(widths, "failed:", out.stderr.strip().splitlines()[-1:])
            continue
        got = json.loads(out.stdout.strip().splitlines()[-1])
        net = LinearNetwork.whitened(parse_widths(widths), parse_matrix(target))
        est = critical_cost(net)
        print(f"{widths:>14} {net.num_params:>6} {got['cpu']:8.1f} {est.seconds:8.1f} "
              f"{got['cpu'] / max(est.seconds, 1e-9):6.2f} {got['rss'] / 2**20:8.0f} {est.bytes / 2**20:8.0f}",
              flush=True)


if __name__ == "__main__":
    main([tuple(sys.argv[1:3])] if len(sys.argv) > 2 else CASES)
