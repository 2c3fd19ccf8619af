#!/usr/bin/env python3
"""Writes the go-live benchmark's bank as a bank would hand it over: units (NDJSON), RMs (CSV with
Chinese headers), customers (GBK CSV with Chinese headers, as Chinese Excel saves) and assignments
with their history (CSV): every customer has a primary today; one in five changed hands once before,
so CUSTOMERS * 1.2 assignment rows. Deterministic (no randomness), dates relative to TODAY.

    import_files.py DIR CUSTOMERS RMS TODAY(YYYY-MM-DD)
"""
import datetime
import json
import os
import sys

out, customers, rms, today = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
today = datetime.date.fromisoformat(today)
teams = max(1, rms // 100)
os.makedirs(out, exist_ok=True)


def day(years_back, days=0):
    d = today.replace(year=today.year - years_back) - datetime.timedelta(days=days)
    return d.isoformat()


with open(f"{out}/org_units.ndjson", "w") as f:
    f.write(json.dumps({"code": "BB01", "name": "Bench Branch", "kind": "branch", "parent_code": "HO"}) + "\n")
    for t in range(teams):
        f.write(json.dumps({"code": f"BT{t:03}", "name": f"Bench Team {t}", "kind": "team", "parent_code": "BB01"}) + "\n")


def national_id(n):
    born = datetime.date(1980, 1, 1) + datetime.timedelta(days=n // 1000)
    body = f"110101{born:%Y%m%d}{n % 1000:03}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(body, weights))
    return body + "10X98765432"[total % 11]


with open(f"{out}/rms.csv", "w", encoding="utf-8") as f:
    f.write("工号,身份证号,姓名,条线,等级,所属机构号,资格日期\n")
    qualified = (today - datetime.timedelta(days=100)).isoformat()
    for r in range(rms):
        f.write(f"BE{r:05},{national_id(r)},客户经理{r},corporate,rm,BT{r % teams:03},{qualified}\n")

with open(f"{out}/customers.csv", "w", encoding="gbk") as f:
    f.write("客户号,客户名称,客户类型,所属机构号,重点客户\n")
    for c in range(customers):
        f.write(f"BC{c:09},测试企业{c}有限公司,corporate,BT{(c % rms) % teams:03},否\n")

with open(f"{out}/assignments.csv", "w", encoding="utf-8") as f:
    f.write("客户号,客户经理工号,角色,起始日期,截止日期\n")
    for c in range(customers):
        rm = c % rms
        if c % 5 == 0:
            # Held by a colleague of the same team from six years back, handed over two years back.
            before = (rm + teams) % rms
            f.write(f"BC{c:09},BE{before:05},primary,{day(6, c % 300)},{day(2, c % 300)}\n")
            f.write(f"BC{c:09},BE{rm:05},primary,{day(2, c % 300)},\n")
        else:
            f.write(f"BC{c:09},BE{rm:05},primary,{day(1 + c % 5, c % 300)},\n")
