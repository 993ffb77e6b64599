"""Which tables the WAL's pages belong to: reads the frames of the WAL's current cycle (those
carrying the header's salt) and maps each page number to its table or index with SQLite's
`dbstat` on a copy of the database file (without its WAL). Run it on a data directory copied
after killing the server mid-load (the WAL is emptied on a clean stop):

    python3 bench/ingest/walpages.py DATA_DIR

Prints frames and commits, then frames per table/index and page kind.
"""
import collections
import os
import shutil
import sqlite3
import struct
import sys
import tempfile

data = sys.argv[1]
db = os.path.join(data, "callvault.db")
wal = open(db + "-wal", "rb").read()
page_size = struct.unpack(">I", wal[8:12])[0]
salt = wal[16:24]
frames, off = [], 32
while off + 24 + page_size <= len(wal) and wal[off + 8:off + 16] == salt:
    frames.append(struct.unpack(">II", wal[off:off + 8]))  # page number, commit size
    off += 24 + page_size
with tempfile.TemporaryDirectory() as tmp:
    copy = os.path.join(tmp, "copy.db")
    shutil.copy(db, copy)
    try:
        conn = sqlite3.connect(copy)
        owner = {p: (name, kind) for name, p, kind in conn.execute("SELECT name, pageno, pagetype FROM dbstat")}
    except sqlite3.DatabaseError:
        # Killed mid-checkpoint: the file alone is not consistent; read it with its WAL (pages
        # the WAL moved to another owner are then counted under the new one).
        conn.close()
        shutil.copy(db + "-wal", copy + "-wal")
        conn = sqlite3.connect(copy)
        owner = {p: (name, kind) for name, p, kind in conn.execute("SELECT name, pageno, pagetype FROM dbstat")}
    conn.close()
counts = collections.Counter(owner.get(p, ("(new page)", "")) for p, _ in frames)
commits = sum(1 for _, c in frames if c)
print(f"page size {page_size}, frames {len(frames)}, commits {commits}")
for (name, kind), n in counts.most_common():
    print(f"{n:7d}  {n / max(commits, 1):6.2f}/commit  {name} {kind}")
