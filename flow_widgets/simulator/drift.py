"""Pretend the API changed: the ``POST /_sim/drift`` test control and how replies apply it.

``flow-widgets doctor`` measures how far the real API has drifted from this version's parser and
catalog. To test it, the simulator can drift on purpose: change a model's ``creditCost``, list a
model this version does not know, or add a field to ``GET /accounts/{email}``. With no drift set
the simulator answers exactly what the catalog says, so the doctor must find it clean.

Body of ``POST /_sim/drift`` (every key optional; ``DELETE /_sim/drift`` clears it)::

    {"creditCost": {"veo_3_1_t2v_fast": 25},           # a Google key -> its new price
     "addModels": [{"key": "omni_flash_1_3", "creditCost": 30}],
     "accountFields": {"agentQuota": 3}}                  # extra top-level keys
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Drift", "apply_drift"]


@dataclass
class Drift:
    """What the simulator changes in its account replies (empty: none)."""

    credit_cost: dict[str, int] = field(default_factory=dict)
    add_models: list[dict[str, Any]] = field(default_factory=list)
    account_fields: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_body(cls, body: Any) -> Drift:
        """Read the control's JSON body; ``ValueError`` names what is wrong."""
        if not isinstance(body, Mapping):
            raise ValueError("Send a JSON object with creditCost, addModels or accountFields.")
        costs = body.get("creditCost", {})
        models = body.get("addModels", [])
        fields = body.get("accountFields", {})
        if not isinstance(costs, Mapping) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in costs.values()
        ):
            raise ValueError("creditCost maps Google model keys to whole numbers of credits.")
        if not isinstance(models, list) or not all(
            isinstance(m, Mapping) and isinstance(m.get("key"), str) for m in models
        ):
            raise ValueError("addModels is a list of model entries, each with a key.")
        if not isinstance(fields, Mapping):
            raise ValueError("accountFields is an object of extra account fields.")
        return cls(
            credit_cost={str(k): int(v) for k, v in costs.items()},
            add_models=[dict(m) for m in models],
            account_fields=dict(fields),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "creditCost": dict(self.credit_cost),
            "addModels": list(self.add_models),
            "accountFields": dict(self.account_fields),
        }


def apply_drift(detail: dict[str, Any], drift: Drift) -> dict[str, Any]:
    """``GET /accounts/{email}``'s reply with ``drift`` applied (a new dict)."""
    changed = {**detail, **drift.account_fields}
    models = changed.get("models")
    if isinstance(models, Mapping) and isinstance(models.get("videoModels"), list):
        entries = [
            {**entry, "creditCost": drift.credit_cost[entry["key"]]}
            if entry.get("key") in drift.credit_cost
            else entry
            for entry in models["videoModels"]
        ]
        changed["models"] = {**models, "videoModels": entries + list(drift.add_models)}
    return changed
