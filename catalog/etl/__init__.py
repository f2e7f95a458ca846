"""Spark ETL of the raw anime data into tidy parquet tables (see ``catalog.etl.job``)."""
