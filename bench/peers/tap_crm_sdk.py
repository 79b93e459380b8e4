"""
A Meltano-SDK (singer-sdk) tap for the same API, written the way the SDK's cookiecutter template
writes one: a RESTStream per endpoint, a page-number paginator, records found by JSONPath, schemas
from this repository's schemas/. It is the peer `npm run bench -- --only=peers` measures tap-crm
against; it is not part of the product.

usage: tap-crm-sdk --config config.json   (api_key, base_url, optional page_size)
The stream table comes from the file in the environment variable TAP_CRM_SDK_STREAMS (the bench writes
it from src/streams.ts), so that both taps read exactly the same endpoints.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

from singer_sdk import RESTStream, Tap
from singer_sdk import typing as th
from singer_sdk.pagination import BasePageNumberPaginator

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


class CrmPaginator(BasePageNumberPaginator):
    """Next page while meta.total_pages says so; without meta, while a page brings new ids."""

    def __init__(self, array_key: str) -> None:
        super().__init__(1)
        self.array_key = array_key
        self.previous_first: Any = None

    def has_more(self, response) -> bool:
        body = response.json()
        meta = body.get("meta")
        if isinstance(meta, dict) and meta.get("total_pages") is not None:
            return self.current_value < meta["total_pages"]
        items = body.get(self.array_key) or []
        if not items:
            return False
        first = json.dumps(items[0], sort_keys=True)
        repeated = first == self.previous_first  # an endpoint that ignores `page`
        self.previous_first = first
        return not repeated


class CrmStream(RESTStream):
    primary_keys = ("id",)
    array_key = ""
    wrapper_key: str | None = None
    extra_params: dict[str, str] = {}

    @property
    def url_base(self) -> str:
        return self.config["base_url"]

    @property
    def http_headers(self) -> dict:
        return {"Authorization": self.config["api_key"]}

    @property
    def records_jsonpath(self) -> str:
        return f"$.{self.array_key}[*]"

    def get_new_paginator(self) -> CrmPaginator:
        return CrmPaginator(self.array_key)

    def get_url_params(self, context, next_page_token) -> dict[str, Any]:
        params: dict[str, Any] = {"page": next_page_token or 1, **self.extra_params}
        if self.config.get("page_size"):
            params["per_page"] = self.config["page_size"]
        return params

    def parse_response(self, response) -> Iterable[dict]:
        for record in super().parse_response(response):
            if self.wrapper_key and isinstance(record.get(self.wrapper_key), dict):
                record = record[self.wrapper_key]
            yield record


def with_properties(schema: Any) -> Any:
    """singer-sdk 0.54.9 raises KeyError 'properties' on an array of objects whose schema lists no
    properties (customer_assets.properties): give each such object an empty list, open to any key."""
    if isinstance(schema, dict):
        schema = {k: with_properties(v) for k, v in schema.items()}
        types = schema.get("type")
        if (types == "object" or (isinstance(types, list) and "object" in types)) and "properties" not in schema:
            schema["properties"] = {}
            schema.setdefault("additionalProperties", True)
    elif isinstance(schema, list):
        schema = [with_properties(v) for v in schema]
    return schema


def stream_class(row: dict) -> type[CrmStream]:
    schema = with_properties(json.loads((SCHEMAS / f"{row['name']}.json").read_text()))
    return type(
        row["name"],
        (CrmStream,),
        {
            "name": row["name"],
            "path": row["path"],
            "array_key": row["arrayKey"],
            "wrapper_key": row.get("wrapperKey"),
            "extra_params": dict(row.get("params") or {}),
            "replication_key": row.get("replicationKey"),
            "schema": schema,
        },
    )


class TapCrmSdk(Tap):
    name = "tap-crm-sdk"
    config_jsonschema = th.PropertiesList(
        th.Property("api_key", th.StringType, required=True, secret=True),
        th.Property("base_url", th.StringType, required=True),
        th.Property("page_size", th.IntegerType),
    ).to_dict()

    def discover_streams(self) -> list[CrmStream]:
        rows = json.loads(Path(os.environ["TAP_CRM_SDK_STREAMS"]).read_text())
        return [stream_class(row)(tap=self) for row in rows]


if __name__ == "__main__":
    TapCrmSdk.cli()
