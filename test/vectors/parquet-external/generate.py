"""Writes the generated files of this directory (see SOURCE.md) with four Parquet implementations other than
hyparquet-writer and parquet-wasm: Arrow C++ (pyarrow), DuckDB, Polars (Rust) and fastparquet (Python).
Deterministic data; run once and commit the output: the files are frozen, this script only records how they
were made.  python3 generate.py  (needs pyarrow 25.0.1, duckdb 1.5.6, polars 1.44.2, fastparquet 2026.9.0)"""
import datetime as dt
import decimal

import duckdb
import fastparquet
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

N = 2500  # more than one 1000-row batch, and several pages / row groups below


def table():
    names = ["Ada", "Grace", None, "Edsger, \"Dijkstra\"", "Barbara", "ñandú 🦤"]
    return pa.table({
        "id": pa.array(range(N), pa.int64()),
        "small": pa.array([(i % 200) - 100 for i in range(N)], pa.int8()),
        "u32": pa.array([i * 2654435761 % 2**32 for i in range(N)], pa.uint32()),
        "amount": pa.array([None if i % 17 == 0 else decimal.Decimal(i * 37 % 100000) / 100 for i in range(N)],
                           pa.decimal128(12, 2)),
        "ratio": pa.array([i / 7 for i in range(N)], pa.float64()),
        "f32": pa.array([i / 3 for i in range(N)], pa.float32()),
        "name": pa.array([names[i % len(names)] for i in range(N)], pa.string()),
        "flag": pa.array([None if i % 11 == 0 else i % 3 == 0 for i in range(N)], pa.bool_()),
        "day": pa.array([dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(N)], pa.date32()),
        "at": pa.array([dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=i * 61.5)
                        for i in range(N)], pa.timestamp("us", tz="UTC")),
        "blob": pa.array([bytes([i % 256, (i * 7) % 256]) * (i % 4) for i in range(N)], pa.binary()),
    })


t = table()
# Arrow C++ (pyarrow 25): the writer options that change the bytes on disk.
pq.write_table(t, "pyarrow-snappy-v1.parquet", compression="snappy", data_page_version="1.0", row_group_size=1000)
pq.write_table(t, "pyarrow-zstd-v2.parquet", compression="zstd", data_page_version="2.0", row_group_size=700)
pq.write_table(t, "pyarrow-gzip-plain.parquet", compression="gzip", use_dictionary=False, row_group_size=N)
pq.write_table(t.drop_columns(["amount", "blob", "flag", "name", "day", "at"]), "pyarrow-delta-bss.parquet",
               compression="none", use_dictionary=False,
               column_encoding={"id": "DELTA_BINARY_PACKED", "small": "DELTA_BINARY_PACKED",
                                "u32": "DELTA_BINARY_PACKED", "ratio": "BYTE_STREAM_SPLIT", "f32": "BYTE_STREAM_SPLIT"})
pq.write_table(t.select(["id", "name", "blob"]), "pyarrow-delta-strings.parquet", use_dictionary=False,
               compression="lz4", column_encoding={"id": "PLAIN", "name": "DELTA_LENGTH_BYTE_ARRAY",
                                                   "blob": "DELTA_BYTE_ARRAY"})
pq.write_table(t, "pyarrow-brotli-stats-off.parquet", compression="brotli", write_statistics=False,
               row_group_size=999)
# Nested: a list and a struct column.
nested = pa.table({
    "id": pa.array(range(300), pa.int32()),
    "tags": pa.array([None if i % 9 == 0 else [f"t{j}" for j in range(i % 4)] for i in range(300)],
                     pa.list_(pa.string())),
    "point": pa.array([None if i % 13 == 0 else {"x": i * 0.5, "y": -i} for i in range(300)],
                      pa.struct([("x", pa.float64()), ("y", pa.int64())])),
})
pq.write_table(nested, "pyarrow-nested.parquet", compression="snappy")

# DuckDB 1.5.6 (its own C++ writer, not Arrow's).
con = duckdb.connect()
con.register("t", t.drop_columns(["u32"]))
con.execute("COPY (SELECT * FROM t) TO 'duckdb-zstd.parquet' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1024)")
con.execute("COPY (SELECT * FROM t) TO 'duckdb-snappy-v2.parquet' (FORMAT parquet, COMPRESSION snappy, "
            "PARQUET_VERSION v2)")
con.execute("COPY (SELECT range AS id, range * 1.5 AS x, 'k' || (range % 50) AS k, "
            "DATE '2000-01-01' + range::INT AS d FROM range(3000)) TO 'duckdb-range.parquet' (FORMAT parquet)")

# Polars 1.44 (the Rust writer of polars-parquet).
df = pl.from_arrow(t.drop_columns(["u32", "amount"]))
df.write_parquet("polars-zstd.parquet", compression="zstd", row_group_size=800, statistics=True)
df.write_parquet("polars-lz4-nostats.parquet", compression="lz4", statistics=False, use_pyarrow=False)

# fastparquet 2026.9 (a Python writer, its own encoder).
pdf = pd.DataFrame({
    "id": pd.Series(range(N), dtype="int64"),
    "ratio": pd.Series([i / 7 for i in range(N)], dtype="float64"),
    "name": pd.Series([f"row {i}" if i % 5 else None for i in range(N)], dtype="object"),
    "flag": pd.Series([i % 2 == 0 for i in range(N)], dtype="bool"),
})
fastparquet.write("fastparquet-snappy.parquet", pdf, compression="SNAPPY", row_group_offsets=1000,
                  write_index=False)
fastparquet.write("fastparquet-plain.parquet", pdf, compression=None, write_index=False, stats=False)
