"""Benchmark: full gap recompute at scale, against the analyst's pandas script.

    .venv/bin/python bench/compute.py [-n 1000000] [--seed 7] [--units 50]

Generates N seeded synthetic responses (~3% missing answers, importance on
two thirds of them) over 50 halls in 5 regions of one chain, bulk-imports them
into PostgreSQL through the METHOD.md §9 CSV importer, then times, each in its
own process so that peak memory is its own:

- import:    `responses_import` of the §9 CSV (1M rows);
- recompute: `audit_compute` (every gap-5, alpha, zone and IPA figure for the
             audit and each of its 56 units, read from PostgreSQL and stored);
- results:   GET /api/audits/<slug>/gaps/?unit=… through Django's test client, with an API token;
- analyst:   the same figures the way an analyst would write them: pandas on
             the long-format CSV (one row per answer), groupby per unit.

Needs PostgreSQL (DATABASE_URL, default a scratch database `gapaudit_bench` on
127.0.0.1). Prints seconds and peak memory per phase and the analyst/recompute
ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/gapaudit_bench"
SLUG = "bench"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gapaudit.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()


# ---------------------------------------------------------------- data


def synthetic(n: int, seed: int, n_units: int, n_items: int, item_dims: np.ndarray, n_dims: int):
    """Seeded answers on a 1..7 scale: (unit index, E, P (uint8, 0 = missing), W (-1 = none))."""
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, n_units, n)
    unit_shift = rng.normal(0, 0.4, n_units)[unit]
    person = rng.normal(0, 0.7, n)
    item_e = rng.uniform(5.3, 6.5, n_items)
    item_p = rng.uniform(4.3, 6.0, n_items)
    e = np.clip(np.rint(item_e + 0.5 * person[:, None] + rng.normal(0, 0.8, (n, n_items))), 1, 7)
    p = np.clip(np.rint(item_p + unit_shift[:, None] + person[:, None] + rng.normal(0, 1.0, (n, n_items))), 1, 7)
    e = e.astype(np.uint8)
    p = p.astype(np.uint8)
    e[rng.random((n, n_items)) < 0.03] = 0
    p[rng.random((n, n_items)) < 0.03] = 0
    weights = np.full((n, n_dims), -1, dtype=np.int16)
    has = rng.random(n) < 2 / 3
    raw = rng.dirichlet(np.ones(n_dims) * 3, has.sum()) * 100
    pts = np.floor(raw).astype(np.int16)
    pts[:, 0] += 100 - pts.sum(axis=1)
    weights[has] = pts
    return unit, e, p, weights


def phase_setup(args) -> dict:
    """Fresh database, units, audit, and the two CSV files."""
    import pandas as pd
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from surveys.models import Instrument, Unit
    from surveys.selectors import audit_layout
    from surveys.services import audit_create

    chain = Unit.objects.create(code="CHAIN", name="Chain")
    regions = [Unit.objects.create(code=f"R{r}", name=f"Region {r}", parent=chain) for r in range(5)]
    halls = [
        Unit.objects.create(code=f"H{h:02d}", name=f"Hall {h}", parent=regions[h % 5]) for h in range(args.units)
    ]
    audit = audit_create(slug=SLUG, title="Benchmark", instrument=Instrument.objects.get(code="servqual"),
                         units=[chain], scale=7)
    layout = audit_layout(audit=audit)
    item_dims = np.array(layout.item_dimensions)
    unit, e, p, w = synthetic(args.n, args.seed, args.units, layout.n_items, item_dims, len(layout.dimension_codes))
    codes = np.array([h.code for h in halls])
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed + 1)
    ids = [f"{a:016x}{b:016x}" for a, b in rng.integers(0, 2**63, (args.n, 2), dtype=np.int64).tolist()]
    ids = [f"{s[:8]}-{s[8:12]}-4{s[13:16]}-a{s[17:20]}-{s[20:32]}" for s in ids]
    cols: dict[str, object] = {"submission_id": ids, "unit": codes[unit], "channel": "kiosk", "submitted_at": ""}
    for i, code in enumerate(layout.item_codes):
        cols[f"E_{code}"] = np.where(e[:, i] > 0, e[:, i].astype(str), "")
    for i, code in enumerate(layout.item_codes):
        cols[f"P_{code}"] = np.where(p[:, i] > 0, p[:, i].astype(str), "")
    for j, code in enumerate(layout.dimension_codes):
        cols[f"W_{code}"] = np.where(w[:, j] >= 0, w[:, j].astype(str), "")
    OUT.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(cols).to_csv(OUT / "responses.csv", index=False)
    # The analyst's long format: one row per answer, importance in its own file.
    item_codes = np.array(layout.item_codes)
    dim_codes = np.array(layout.dimension_codes)
    rid = np.repeat(np.arange(args.n), layout.n_items)
    long = pd.DataFrame({
        "response": rid,
        "unit": codes[unit][rid],
        "dimension": np.tile(dim_codes[item_dims], args.n),
        "item": np.tile(item_codes, args.n),
        "expectation": pd.array(np.where(e.ravel() > 0, e.ravel(), 0), dtype="Int8"),
        "perception": pd.array(np.where(p.ravel() > 0, p.ravel(), 0), dtype="Int8"),
    })
    long.loc[long["expectation"] == 0, "expectation"] = pd.NA
    long.loc[long["perception"] == 0, "perception"] = pd.NA
    long.to_csv(OUT / "answers_long.csv", index=False)
    has = w[:, 0] >= 0
    imp = pd.DataFrame(w[has], columns=list(layout.dimension_codes))
    imp.insert(0, "unit", codes[unit][has])
    imp.insert(0, "response", np.flatnonzero(has))
    imp.to_csv(OUT / "importance.csv", index=False)
    tree = {h.code: [h.code, h.parent.code, "CHAIN"] for h in halls}
    (OUT / "tree.json").write_text(json.dumps(tree))
    provider_setup(audit=audit, halls=halls, item_codes=list(layout.item_codes), seed=args.seed)
    return {"files_s": time.perf_counter() - started}


PROVIDER_MANAGERS, PROVIDER_OBSERVATIONS = 300, 100_000


def provider_setup(*, audit, halls, item_codes: list[str], seed: int) -> None:
    """The provider side at a large chain's size (METHOD.md §6): 300 manager answer sets,
    a standard per item with an override per hall on two items, a promise on five items,
    and 100,000 delivery observations (self-assessment scores and inspection scores)."""
    from django.contrib.auth import get_user_model

    from provider.models import DeliveryObservation, ManagerAnswerSet, Promise, QualityStandard

    rng = np.random.default_rng(seed + 2)
    User = get_user_model()
    User.objects.bulk_create([User(username=f"m{i}@example.com") for i in range(PROVIDER_MANAGERS)])
    managers = list(User.objects.filter(username__startswith="m", username__endswith="@example.com"))
    beliefs = rng.integers(3, 8, (len(managers), len(item_codes))).tolist()
    ManagerAnswerSet.objects.bulk_create([
        ManagerAnswerSet(audit=audit, unit=halls[i % len(halls)], manager=m,
                         answers=dict(zip(item_codes, beliefs[i], strict=True)))
        for i, m in enumerate(managers)
    ])
    QualityStandard.objects.bulk_create(
        [QualityStandard(audit=audit, item_code=c, level=6) for c in item_codes]
        + [QualityStandard(audit=audit, item_code=c, unit=h, level=7) for c in item_codes[:2] for h in halls]
    )
    Promise.objects.bulk_create([Promise(audit=audit, item_code=c, text="promise", level=7) for c in item_codes[:5]])
    units = rng.integers(0, len(halls), PROVIDER_OBSERVATIONS)
    items = rng.integers(0, len(item_codes), PROVIDER_OBSERVATIONS)
    values = np.round(rng.uniform(1, 7, PROVIDER_OBSERVATIONS), 3)
    DeliveryObservation.objects.bulk_create([
        DeliveryObservation(audit=audit, unit=halls[u], item_code=item_codes[i], value=float(v), source="inspection")
        for u, i, v in zip(units.tolist(), items.tolist(), values.tolist(), strict=True)
    ], batch_size=5000)


def phase_import(args) -> dict:
    from surveys.exchange import responses_import
    from surveys.models import Audit

    audit = Audit.objects.get(slug=SLUG)
    content = (OUT / "responses.csv").read_bytes()
    started = time.perf_counter()
    report = responses_import(audit=audit, filename="responses.csv", content=content)
    return {"seconds": time.perf_counter() - started, "created": report.created, "peak_mb": peak_mb()}


def phase_recompute(args) -> dict:
    from analytics.models import GapResult
    from analytics.services import audit_compute
    from surveys.models import Audit

    audit = Audit.objects.get(slug=SLUG)
    times = []
    for _ in range(2):
        started = time.perf_counter()
        audit_compute(audit_id=audit.pk)
        times.append(time.perf_counter() - started)
    return {"seconds": min(times), "runs": times, "scopes": GapResult.objects.filter(audit=audit).count(),
            "peak_mb": peak_mb()}


def phase_results(args) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.models import RoleAssignment
    from accounts.services import api_token_create

    # A script reads results with an admin's API token, as the README describes.
    user, _ = get_user_model().objects.get_or_create(username="bench@example.com", email="bench@example.com")
    RoleAssignment.objects.get_or_create(user=user, role="admin", unit=None)
    _token, key = api_token_create(user=user, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    timings = []
    for i in range(200):
        unit = ["", "?unit=R1", "?unit=H07", "?unit=CHAIN"][i % 4]
        started = time.perf_counter()
        response = client.get(f"/api/audits/{SLUG}/gaps/{unit}")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:200]
    warm = sorted(timings[10:])  # the first requests warm up imports and connections
    return {"mean_ms": 1000 * sum(warm) / len(warm), "p95_ms": 1000 * warm[int(0.95 * len(warm))],
            "n_responses": response.json()["n_responses"]}


def phase_analyst(args) -> dict:
    """What an analyst would write: pandas on the long CSV, pivoted once to one row
    per response, then every figure per scope with vectorised pandas."""
    import pandas as pd
    from scipy import stats

    started = time.perf_counter()
    long = pd.read_csv(OUT / "answers_long.csv", dtype={"expectation": "float64", "perception": "float64"})
    imp = pd.read_csv(OUT / "importance.csv").set_index("response")
    read_s = time.perf_counter() - started
    tree = json.loads((OUT / "tree.json").read_text())
    scopes: dict = {None: list(tree)}
    for hall, path in tree.items():
        for unit in path:
            scopes.setdefault(unit, []).append(hall)

    E = long.pivot(index="response", columns="item", values="expectation")
    P = long.pivot(index="response", columns="item", values="perception")
    unit = long.drop_duplicates("response").set_index("response")["unit"].reindex(E.index)
    dims = long.drop_duplicates("item").groupby("dimension")["item"].apply(list).to_dict()

    def describe(x: pd.DataFrame | pd.Series) -> pd.DataFrame:
        n, mean, sd = x.count(), x.mean(), x.std(ddof=1)
        se = sd / np.sqrt(n)
        half = stats.t.ppf(0.975, n - 1) * se
        p = 2 * stats.t.sf(np.abs(mean / se), n - 1)
        return pd.DataFrame({"gap": mean, "n": n, "sd": sd, "se": se, "ci_low": mean - half,
                             "ci_high": mean + half, "p_value": p}, index=np.atleast_1d(mean.index
                             if hasattr(mean, "index") else [0]))

    results = {}
    for scope, halls in scopes.items():
        rows = unit.isin(halls).to_numpy()
        e, p = E[rows], P[rows]
        d = p - e
        items = describe(d)
        score, dim_e, dim_p, alphas = {}, {}, {}, {}
        for dim, cols in dims.items():
            paired = d[cols].notna()
            ok = paired.sum(axis=1) >= np.ceil(len(cols) / 2)
            score[dim] = d[cols].mean(axis=1).where(ok)
            dim_e[dim] = e[cols].where(paired).mean(axis=1).where(ok)
            dim_p[dim] = p[cols].where(paired).mean(axis=1).where(ok)
            complete = paired.all(axis=1)
            for name, frame in (("p", p), ("e", e), ("d", d)):
                m = frame.loc[complete, cols]
                alphas[(dim, name)] = len(cols) / (len(cols) - 1) * (
                    1 - m.var(ddof=1).sum() / m.sum(axis=1).var(ddof=1))
        score = pd.DataFrame(score)
        dimensions = pd.concat([describe(score), pd.DataFrame(dim_e).mean(), pd.DataFrame(dim_p).mean()], axis=1)
        overall = describe(score.mean(axis=1, skipna=False).dropna())
        w = imp.reindex(score.index).dropna()
        weighted = describe((score.loc[w.index] * w[score.columns] / 100).sum(axis=1, min_count=len(dims))
                            .where(score.loc[w.index].notna().all(axis=1)).dropna())
        importance = imp[imp["unit"].isin(halls)][list(dims)].mean()
        results[scope] = (items, dimensions, overall, weighted, alphas, importance)
    return {"seconds": time.perf_counter() - started, "read_s": read_s,
            "compute_s": time.perf_counter() - started - read_s, "peak_mb": peak_mb(), "scopes": len(results)}


PHASES = {"setup": phase_setup, "import": phase_import, "recompute": phase_recompute,
          "results": phase_results, "analyst": phase_analyst}


def run_phase(name: str, args, env: dict) -> dict:
    cmd = [sys.executable, __file__, "--phase", name, "-n", str(args.n), "--seed", str(args.seed),
           "--units", str(args.units)]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--phase", choices=sorted(PHASES))
    args = parser.parse_args()
    if args.phase:
        if args.phase != "analyst":
            django_setup()
        print(json.dumps(PHASES[args.phase](args)))
        return

    url = os.getenv("BENCH_DATABASE_URL", DEFAULT_DB)
    db = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
        conn.execute(f'CREATE DATABASE "{db}"')
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": "bench", "REDIS_URL": "", "HTTPS": "0"}
    print(f"GapAudit compute benchmark: N = {args.n:,} responses, {args.units} halls, seed {args.seed}")
    setup = run_phase("setup", args, env)
    print(f"  generated the CSV files in {setup['files_s']:.1f} s")
    imp = run_phase("import", args, env)
    print(f"  import     {imp['seconds']:8.2f} s   peak {imp['peak_mb']:7.0f} MB   ({imp['created']:,} rows)")
    rec = run_phase("recompute", args, env)
    print(f"  recompute  {rec['seconds']:8.2f} s   peak {rec['peak_mb']:7.0f} MB   ({rec['scopes']} scopes; "
          f"runs {', '.join(f'{t:.2f}' for t in rec['runs'])} s)")
    res = run_phase("results", args, env)
    print(f"  results    {res['mean_ms']:8.2f} ms mean, {res['p95_ms']:.2f} ms p95 per GET /gaps/")
    ana = run_phase("analyst", args, env)
    print(f"  analyst    {ana['seconds']:8.2f} s   peak {ana['peak_mb']:7.0f} MB   (read {ana['read_s']:.1f} s + "
          f"compute {ana['compute_s']:.1f} s, {ana['scopes']} scopes)")
    print(f"  ratio      analyst / recompute = {ana['seconds'] / rec['seconds']:.1f}x")


if __name__ == "__main__":
    main()
