"""Model-based sequences: a Hypothesis state machine interleaves creates, updates (by id and
by unique field), deletes, list membership changes and listings across kinds, and checks
every answer against an in-memory model. A failure shrinks to a short list of calls."""

from __future__ import annotations

import hypothesis
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    get_state_machine_test,
    invariant,
    rule,
)

from conformance.declared import Kind, on_every
from conformance.engine.generation import operation_seed
from conformance.engine.runner import Runner
from conformance.scenarios.steps import Steps, kind, unique_alias
from contract.resources import RECORD_KINDS
from strategies import record_payload

pytestmark = pytest.mark.scenario

#: The text field the model writes, per kind (also where the run's marker goes).
TEXT = {"contacts": "company", "leads": "company", "accounts": "name", "deals": "name",
        "cases": "title", "custom_entities": "name"}
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
#: A record the model holds: (its kind's name, its id).
Key = tuple[str, int]


def machine_for(steps: Steps) -> type[RuleBasedStateMachine]:
    kinds = [k.name for k in RECORD_KINDS
             if not (k.is_custom_entity and not steps.owned.ce_table)]

    class WorkspaceModel(RuleBasedStateMachine):
        """What the workspace should hold: {(kind, id): text}, and list memberships."""

        records = Bundle("records")

        def __init__(self) -> None:
            super().__init__()
            self.marker = steps.owned.unique("sm")
            self.writes = 0
            self.text: dict[tuple[str, int], str] = {}
            self.unique: dict[tuple[str, int], str] = {}
            self.members: dict[tuple[str, int], set[int]] = {}

        def _label(self, word: str) -> str:
            # A write counter in every label: an update never writes the value already
            # stored, so a workspace that drops updates cannot pass by coincidence.
            self.writes += 1
            return f"{self.marker} {word} {self.writes}"

        @rule(target=records, kind_name=st.sampled_from(kinds), word=WORDS, data=st.data())
        def create(self, kind_name: str, word: str, data: st.DataObject) -> Key:
            k = kind(kind_name)
            # The account's own custom fields, with values drawn for their types.
            custom = [f for f in steps.owned.custom_fields.get(kind_name, [])
                      if not f.get("unique")]
            extra = data.draw(record_payload(custom), label="custom fields") if custom else {}
            label = self._label(word)
            record = steps.create(k, **extra, **{TEXT[kind_name]: label})
            key = (kind_name, record["id"])
            self.text[key] = label
            self.unique[key] = record[unique_alias(k)]
            self.members[key] = set()
            return key

        @rule(key=records, word=WORDS, method=st.sampled_from(["PUT", "PATCH"]))
        def update_by_id(self, key: Key, word: str, method: str) -> None:
            if key not in self.text:
                return
            k = kind(key[0])
            label = self._label(word)
            steps.update(k, key[1], {TEXT[key[0]]: label}, method=method)
            self.text[key] = label
            self._read_back(key)

        @rule(key=records, word=WORDS)
        def update_by_unique_field(self, key: Key, word: str) -> None:
            if key not in self.text:
                return
            k = kind(key[0])
            label = self._label(word)
            edited = steps.edit(k, {unique_alias(k): self.unique[key], TEXT[key[0]]: label})
            steps.check(edited["id"] == key[1],
                        f"/edit by {unique_alias(k)} changed record {edited['id']}, "
                        f"expected {key[1]}")
            self.text[key] = label
            self._read_back(key)

        @rule(key=consumes(records))
        def delete(self, key: Key) -> None:
            if key not in self.text:
                return
            steps.delete(kind(key[0]), key[1])
            del self.text[key], self.unique[key], self.members[key]
            steps.get(kind(key[0]), key[1], expect=404)
            self.listing_matches_model(key[0])

        @rule(key=records, add=st.booleans())
        def change_membership(self, key: Key, add: bool) -> None:
            if key not in self.text:
                return
            k = kind(key[0])
            list_id = steps.a_list(k)
            if add:
                steps.add_to_list(k, list_id, key[1])
                self.members[key].add(list_id)
            else:
                steps.remove_from_list(k, list_id, key[1])
                self.members[key].discard(list_id)

        def _read_back(self, key: Key) -> None:
            got = steps.get(kind(key[0]), key[1])[TEXT[key[0]]]
            steps.check(got == self.text[key], f"{key[0]} {key[1]} reads back {got!r}, the "
                                               f"model says {self.text[key]!r}")

        @rule(kind_name=st.sampled_from(kinds))
        def listing_matches_model(self, kind_name: str) -> None:
            k = kind(kind_name)
            total, items = steps.listing(k, search=self.marker)
            expected = {i: t for (n, i), t in self.text.items() if n == kind_name}
            got = {r.get("id"): r.get(TEXT[kind_name]) for r in items}
            steps.check(got == expected and total == len(expected),
                        f"listing {k.plural} by the run's marker: expected {expected} "
                        f"(total {len(expected)}), got {got} (total {total})")

        @invariant()
        def memberships_match_model(self) -> None:
            for (kind_name, rid), lists in list(self.members.items())[-2:]:
                k = kind(kind_name)
                got = steps.lists_of(k, rid) & set(steps.owned.lists.get(kind_name, []))
                steps.check(got == lists, f"{k.singular} {rid} is in lists {sorted(got)}, "
                                          f"the model says {sorted(lists)}")

    return WorkspaceModel


@pytest.mark.flexie(kind=Kind.STATE_MACHINE, cost=65, tier=5, exercises=on_every(
    RECORD_KINDS, "POST P/new", "GET P/{id}", "PUT P/{id}", "PATCH P/{id}", "PUT P/edit",
    "DELETE P/{id}", "POST L/lists/{id}/add/{entityId}", "POST L/lists/{id}/remove/{entityId}",
    "GET P", "GET P/{id}/lists"))
def test_model_based_sequences(flexie: Runner, steps: Steps) -> None:
    # (examples, steps): under a request budget two sequences besides Hypothesis's first,
    # which is its simplest (creates only).
    examples, step_count = {"thorough": (40, 30)}.get(flexie.settings.profile, (6, 12))
    if flexie.settings.budget is not None:
        examples, step_count = 3, 10
    test = get_state_machine_test(
        machine_for(steps),
        settings=settings(max_examples=examples, stateful_step_count=step_count, deadline=None,
                          database=None, suppress_health_check=list(HealthCheck)),
    )
    # Seeded from the run's seed, so a replay with --flexie-seed runs the same sequences.
    seed = operation_seed(flexie.settings.seed, "model-based sequences")
    (test if seed is None else hypothesis.seed(seed)(test))()
