"""Mutation testing of the modules that hold the platform's promises, on the unit tests: `make mutation`.

The modules are `only_mutate` in pyproject.toml's `[tool.mutmut]`; of two of them only the functions that hold
a promise are tried (`FUNCTIONS`): the booking path of the spaces commands and the claim of the spaces
repository, not the calendar feeds, listings and timers beside them. mutmut copies the code into mutants/,
runs the unit tests once to learn which tests reach which function, then runs, for each mutant, the tests that
reach it. Afterwards the share of mutants killed is printed per module and overall.

    python scripts/mutation.py              # a fresh run, then the report
    python scripts/mutation.py report       # the report of the last run; --survivors lists what was not killed
"""
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
FUNCTIONS = {
    "services/spaces/commands.py": [
        "_broken", "_clash", "domain_rules", "_space", "booking_view", "book", "_booking_id", "_book_one",
        "_booking", "cancel", "_end", "approve", "reject",
    ],
    "services/spaces/repository.py": [
        "ledger_id", "ǁLedgersǁlive_claims", "ǁSpacesRepositoryǁledgers",
        "ǁSpacesRepositoryǁclaim", "ǁSpacesRepositoryǁrelease",
    ],
}
# mutmut's exit code per mutant (mutmut.stats.status_by_exit_code); any other is "suspicious".
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}


def modules() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]["only_mutate"]


def patterns(module: str) -> list[str]:
    """mutmut's names of the mutants to try in `module`, as globs: `services.spaces.commands.x_book__mutmut_3`,
    `services.spaces.repository.xǁSpacesRepositoryǁclaim__mutmut_1`."""
    dotted = module.removesuffix(".py").replace("/", ".")
    functions = FUNCTIONS.get(module)
    if functions is None:
        return [f"{dotted}.*"]
    return [f"{dotted}.x{'' if name.startswith('ǁ') else '_'}{name}__mutmut_*" for name in functions]


def run(children: int) -> int:
    shutil.rmtree(MUTANTS, ignore_errors=True)  # a fresh run: no result is carried over from older code
    started = time.monotonic()
    names = [pattern for module in modules() for pattern in patterns(module)]
    completed = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *names],
                               cwd=ROOT)
    print(f"\nmutmut ran for {time.monotonic() - started:.0f} s")
    if completed.returncode:
        return completed.returncode
    return report(show_survivors=False)


def results() -> dict[str, dict[str, str]]:
    """Module -> mutant name -> status, for the mutants in scope."""
    found = {}
    for module in modules():
        meta = MUTANTS / f"{module}.meta"
        if not meta.exists():
            continue
        wanted = patterns(module)
        exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
        found[module] = {name: STATUS.get(code, "suspicious") for name, code in exit_codes.items()
                         if any(fnmatch(name, pattern) for pattern in wanted)}
    return found


def report(show_survivors: bool) -> int:
    found = results()
    if not found:
        print("No results in mutants/: run `make mutation` first.")
        return 1
    total = Counter()
    print(f"\n{'module':34} {'killed':>7} {'mutants':>8} {'share':>7}   not killed")
    for module, statuses in found.items():
        counts = Counter(statuses.values())
        total.update(counts)
        rest = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()) if status != "killed")
        print(f"{module:34} {counts['killed']:7} {len(statuses):8} {_share(counts['killed'], len(statuses)):>7}"
              f"   {rest}")
    everything = sum(total.values())
    print(f"{'overall':34} {total['killed']:7} {everything:8} {_share(total['killed'], everything):>7}")
    if show_survivors:
        print()
        for statuses in found.values():
            for name, status in statuses.items():
                if status != "killed":
                    print(f"{status:12} {name}")
    return 0


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["report"]:
        sys.exit(report(show_survivors="--survivors" in arguments))
    sys.exit(run(children=int(os.environ.get("MUTATION_CHILDREN", "2"))))
