"""Pydantic models of the record files in data/ (one module per record type)."""

from almreport.schema.base import ItemError, Record

__all__ = ["ItemError", "Record"]
