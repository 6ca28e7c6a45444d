"""Every LMDB database has one owner: the record family module that keeps
its key layout and invariants (DESIGN §1, issue 21). This check fails when
any file under src/ other than that module names the database (db::NAME or
tables::NAME: to write it, or to read it behind the module's back), or when
LMDB itself is called outside the environment wrapper. It prints each
database with its module."""

import os
import re
import sys

ROOT = os.environ.get("IGBRIDGE_SOURCE_DIR",
                      os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..")))

# database -> the one module that owns it
OWNERS = {
    "users": "src/store/users.cpp",
    "ig_index": "src/store/users.cpp",
    "counters": "src/store/users.cpp",
    "attention": "src/store/users.cpp",
    "schedule": "src/store/schedule.cpp",
    "seen": "src/store/seen.cpp",
    "seen_order": "src/store/seen.cpp",
    "hints": "src/store/inbox.cpp",
    "hint_due": "src/store/inbox.cpp",
    "resume": "src/store/resume.cpp",
    "outbox": "src/store/outbox.cpp",
    "outbox_due": "src/store/outbox.cpp",
    "dead": "src/store/outbox.cpp",
    "outbox_ids": "src/store/outbox.cpp",
    "oauth_state": "src/store/oauth_states.cpp",
    "oauth_states": "src/store/oauth_states.cpp",  # the typed table's name
    "oauth_expiry": "src/store/oauth_states.cpp",
    "oauth_by_user": "src/store/oauth_states.cpp",
    "media_refs": "src/store/media_refs.cpp",
    "user_media": "src/store/media_refs.cpp",
    "dashboard": "src/store/dashboard.cpp",
    "deletions": "src/store/deletions.cpp",
    "deletion_requests": "src/store/deletions.cpp",
    "imports": "src/store/imports.cpp",
    "meta": "src/store/meta.cpp",
}
# The environment wrapper opens every database by name (and sets ig_index's
# dupsort flag); it writes none of them for a family.
WRAPPER = {"src/store/store.cpp", "include/igbridge/store.hpp", "include/igbridge/tables.hpp"}

NAMED = re.compile(r"\b(?:db|tables)::([a-z_]+)\b")
LMDB = re.compile(r"\bmdb_[a-z_]+\s*\(")


def sources():
    for top in ("src", "include", "bench"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith((".cpp", ".hpp")):
                    path = os.path.join(dirpath, f)
                    yield os.path.relpath(path, ROOT), path


def main():
    with open(os.path.join(ROOT, "include/igbridge/store.hpp")) as f:
        enum = re.search(r"enum class db \{(.*?)\};", f.read(), re.S).group(1)
    declared = re.findall(r"^\s*([a-z_]+),", enum, re.M)
    problems = []
    for name in declared:
        if name not in OWNERS:
            problems.append(f"database {name} has no owning module in this check")
    for rel, path in sources():
        with open(path) as f:
            text = f.read()
        for n, line in enumerate(text.splitlines(), 1):
            code = line.split("//")[0]
            for name in NAMED.findall(code):
                owner = OWNERS.get(name)
                if owner is None or rel in WRAPPER or rel == owner:
                    continue
                problems.append(f"{rel}:{n}: names {name}, owned by {owner}")
            if LMDB.search(code) and rel != "src/store/store.cpp":
                problems.append(f"{rel}:{n}: calls LMDB outside src/store/store.cpp")
    width = max(len(d) for d in declared)
    print("database".ljust(width), "module")
    for name in declared:
        print(name.ljust(width), OWNERS.get(name, "?"))
    if problems:
        print("\nowners broken:")
        for p in problems:
            print("  " + p)
        return 1
    print("\nevery database is named only by its module")
    return 0


if __name__ == "__main__":
    sys.exit(main())
