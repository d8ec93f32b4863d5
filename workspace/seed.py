"""Realistic demo data per account, written once per database.

Every account gets roles and users (the keys belong to the admin and viewer users), pipelines
with stages, static lists per record kind, workflows with dynamic endpoints, emails, reports
with rows, forms, pages, categories, and a few pre-existing records of every kind with notes,
list memberships, case replies and deal associations. A conformance suite must leave all of it
untouched; `Backend.snapshot` lets tests prove that. Values are deterministic, so two fresh
workspaces hold byte-identical data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from contract.fields import Field
from workspace.accounts import Account, KindSpec
from workspace.state import Backend, Row

BASE = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
_PEOPLE = (
    ("Ms.", "Amelia", "Clarke", "London", "United Kingdom", "Northwind Trading"),
    ("Mr.", "Jonas", "Becker", "Berlin", "Germany", "Bluewave Logistics"),
    ("Dr.", "Priya", "Raman", "Austin", "United States", "Helios Analytics"),
    ("Mrs.", "Elira", "Hoxha", "Tirana", "Albania", "Adriatic Foods"),
    ("Mr.", "Lucas", "Moreau", "Lyon", "France", "Cobalt Systems"),
    ("Ms.", "Sofia", "Rossi", "Milan", "Italy", "Verde Energia"),
)
_COUNTRIES = ("Germany", "United Kingdom", "United States", "France", "Albania")
_REGIONS = ("Bavaria", "England", "California", "Tirana")
_ZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "Asia/Tokyo")


class _Clock:
    """Deterministic timestamps a minute apart, so seeded data never depends on now()."""

    def __init__(self) -> None:
        self.minutes = 0

    def __call__(self) -> str:
        self.minutes += 1
        return (BASE + dt.timedelta(minutes=self.minutes)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def sample(f: Field, i: int, account: str) -> Any:
    """A plausible value of field `f` for the i-th seeded record."""
    day = dt.date(2025, 1, 15) + dt.timedelta(days=30 * i)
    n = i + 1
    return {
        "text": f"{f.label or f.alias.replace('_', ' ').capitalize()} {n}",
        "textarea": f"Seeded note {n} for {f.alias}.\nFollow up next quarter.",
        "number": round(1250.5 * n, 2), "integer": 10 * n, "boolean": i % 2 == 0,
        "select": f.options[i % len(f.options)] if f.options else None,
        "multiselect": list(f.options[: i % max(len(f.options), 1) + 1]),
        "date": day.isoformat(), "datetime": f"{day.isoformat()}T10:30:00+00:00",
        "time": f"{9 + i % 9:02d}:30", "url": f"https://www.example.com/{account}/{f.alias}/{n}",
        "email": f"{f.alias.replace('_', '.')}.{n}@{account}.example.com",
        "phone": f"+44207183{8700 + n}", "country": _COUNTRIES[i % len(_COUNTRIES)],
        "region": _REGIONS[i % len(_REGIONS)], "timezone": _ZONES[i % len(_ZONES)],
        "lookup": None,
    }[f.type]


class Seeder:
    def __init__(self, backend: Backend, account: Account) -> None:
        self.b, self.acc, self.stamp = backend, account, _Clock()
        self.name = account.name
        self.ids: dict[str, list[int]] = {}

    def add(self, resource: str, data: dict, *, unique: tuple[str, ...] = (),
            parent_id: int | None = None) -> Row:
        row = self.b.create_record(self.name, resource, data, unique=unique,
                                   parent_id=parent_id, stamp=self.stamp())
        self.ids.setdefault(resource, []).append(row.id)
        return row

    def run(self) -> None:
        self.roles_and_users()
        self.categories()
        self.pipelines()
        self.workflows()
        self.content()
        for spec in self.acc.specs.values():
            self.records(spec)
        self.relations()
        self.tasks()

    def roles_and_users(self) -> None:
        roles: tuple[tuple[str, str, bool, list[str]], ...] = (
            ("Administrator", "Full access to the workspace.", True, []),
            ("Sales Manager", "Manages leads, contacts and deals.", False,
             ["lead:leads:viewother", "lead:leads:editother", "lead:leads:create",
              "contact:contacts:full", "deal:deals:full", "account:accounts:viewother"]),
            ("Support Agent", "Works on cases.", False,
             ["case:cases:full", "contact:contacts:viewother"]),
            ("Viewer", "Reads everything, changes nothing.", False,
             ["lead:leads:viewother", "contact:contacts:viewother", "deal:deals:viewother",
              "account:accounts:viewother", "case:cases:viewother"]),
        )
        role_ids = [self.add("roles", {"name": n, "description": d, "isAdmin": a,
                                       "permissions": p}).id for n, d, a, p in roles]
        users = (("admin", "Ada", "Admin", "Administrator", 0),
                 ("sales", "Sam", "Seller", "Account Executive", 1),
                 ("support", "Sue", "Helper", "Support Engineer", 2),
                 ("viewer", "Vic", "Viewer", "Analyst", 3))
        for login, first, last, position, role in users:
            self.add("users", {
                "username": f"{self.name}.{login}", "firstName": first, "lastName": last,
                "email": f"{login}@{self.name}.example.com", "position": position,
                "timezone": "Europe/London", "locale": "en_GB", "role": role_ids[role],
                "isPublished": True}, unique=("username", "email"))

    def categories(self) -> None:
        for name in ("Call", "Meeting", "Follow-up"):
            self.add("task_categories", {"name": name})
        for name in ("Onboarding", "Nurturing"):
            self.add("workflow_categories", {"name": name})

    def pipelines(self) -> None:
        for p, (name, stages) in enumerate((
                ("Sales", ("Prospecting", "Qualification", "Proposal", "Closed won")),
                ("Renewals", ("Upcoming", "Negotiation", "Renewed", "Churned")))):
            pipe = self.add("pipelines", {"name": name, "isDefault": p == 0})
            for pos, stage in enumerate(stages):
                self.add("stages", {"name": stage, "pipeline_id": pipe.id, "position": pos,
                                    "probability": min(100, 25 * (pos + 1))},
                         parent_id=pipe.id)

    def workflows(self) -> None:
        cats = self.ids["workflow_categories"]
        flows = (("Welcome series", True, "async"), ("Lead scoring", True, "sync"),
                 ("Renewal reminder", True, "async"), ("Win-back (draft)", False, "async"))
        for i, (name, published, runtime) in enumerate(flows):
            wf = self.add("workflows", {"name": name,
                                        "description": f"{name} for {self.acc.label}.",
                                        "category": cats[i % len(cats)],
                                        "isPublished": published, "runtime": runtime})
            self.add("dynamic_endpoints", {
                "name": f"{name.split()[0].lower()}-hook",
                "url": f"https://{self.name}.flexie.example/api/dynamic/{wf.id:06d}{i}",
                "authentication_required": i % 2 == 0,
                "cors_origins": [f"https://www.{self.name}.example.com"] if i % 2 else None,
                "response_type": ("data", "html", "redirect", "continue")[i],
                "workflow_id": wf.id}, parent_id=wf.id)

    def content(self) -> None:
        for i, subject in enumerate(("Welcome to {label}", "Your monthly update",
                                     "We miss you")):
            self.add("emails", {"name": subject.split()[0] + f" email {i + 1}",
                                "subject": subject.format(label=self.acc.label),
                                "fromAddress": f"news@{self.name}.example.com",
                                "isPublished": i < 2, "sentCount": 100 * i})
        report = self.add("reports", {"name": "Contacts by city", "description": None,
                                      "source": "contacts", "isPublished": True})
        for i in range(12):
            person = _PEOPLE[i % len(_PEOPLE)]
            self.add("report_rows", {"city": f"{person[3]} {i // len(_PEOPLE) + 1}",
                                     "country": person[4], "contacts": 3 * i + 2},
                     parent_id=report.id)
        report = self.add("reports", {"name": "Deals by stage",
                                      "description": "Open pipeline value per stage.",
                                      "source": "deals", "isPublished": True})
        for i in range(8):
            self.add("report_rows", {"stage": f"Stage {i + 1}", "deals": i + 1,
                                     "amount": 5000.0 * (i + 1)}, parent_id=report.id)
        for i, name in enumerate(("Contact us", "Newsletter signup")):
            self.add("forms", {"name": name, "alias": name.lower().replace(" ", "_"),
                               "isPublished": True, "fields": [
                                   {"alias": "email", "type": "email", "label": "Email"},
                                   {"alias": "first_name", "type": "text",
                                    "label": "First name"}][: i + 1]})
        for name in ("Pricing", "About us"):
            alias = name.lower().replace(" ", "-")
            self.add("pages", {"title": name, "alias": alias, "isPublished": True,
                               "url": f"https://{self.name}.flexie.example/p/{alias}"})

    def _record(self, spec: KindSpec, i: int) -> dict:
        person = _PEOPLE[(i + len(self.name)) % len(_PEOPLE)]
        title, first, last, city, country, company = person
        email = f"{first}.{last}.{spec.kind.name}@{self.name}.example.com".lower()
        owner = self.ids["users"][1]
        pipeline, stages = self.ids["pipelines"][0], self.ids["stages"][:4]
        by_kind: dict[str, dict[str, Any]] = {
            "contacts": {"title": title, "first_name": first, "last_name": last,
                         "email": email, "phone": f"+44207183{8750 + i}", "company": company,
                         "city": city, "country": country, "status": "New",
                         "source": "Meeting", "owner_id": owner},
            "leads": {"title": title, "first_name": first, "last_name": last, "email": email,
                      "phone": f"+1512555{1400 + i}", "company": company, "city": city,
                      "state": "TX", "country": country, "status": "Qualify",
                      "source": "Website", "owner_id": owner},
            "accounts": {"name": f"{company} {self.acc.label.split()[0]}", "status": "Active",
                         "email": f"info.{i + 1}@{company.split()[0].lower()}.example.com",
                         "website": f"https://www.{company.split()[0].lower()}.example.com",
                         "phone": f"+49301234{5600 + i}", "industry": "Retail",
                         "annual_revenue": 1500000 + 250000 * i, "vat_number": f"GB12345{i:04d}",
                         "employees": 40 + 15 * i, "billing_city": city,
                         "billing_country": country, "owner_id": owner},
            "deals": {"name": f"{company} renewal {2025 + i}",
                      "external_id": f"{self.name.upper()}-ERP-{1000 + i}",
                      "amount": 12500 + 2500 * i, "close_date": f"2025-0{i + 3}-28",
                      "pipeline_id": pipeline, "stage_id": stages[i % len(stages)],
                      "owner_id": owner},
            "cases": {"title": ("Login page returns 500 error", "Invoice shows wrong VAT",
                                "Export to CSV times out")[i % 3],
                      "identifier": f"REF-{1001 + i}", "source": "Email", "category": "Bug",
                      "priority": ("High", "Medium", "Low")[i % 3],
                      "public_status": "In Process", "internalStatus": "open",
                      "owner_id": owner},
            "custom_entities": {"name": f"{spec.label} {self.acc.label.split()[0]} {i + 1}",
                                "code": f"{(spec.table or 'ce')[:3].upper()}-{2025}-{i + 1:03d}"},
        }
        standard = by_kind[spec.kind.name]
        for f in spec.fields:
            if f.custom:
                value = sample(f, i, self.name)
                if f.unique and isinstance(value, str):
                    value = f"{self.name.upper()}-{f.alias.upper()[:6]}-{1001 + i}"
                standard[f.alias] = value
        return standard

    def records(self, spec: KindSpec) -> None:
        for n, name in enumerate(("Newsletter", "VIP")):
            self.b.create_list(self.name, spec.resource, f"{spec.label} {name}",
                               f"{spec.kind.singular}-{name.lower()}-{spec.table or n}",
                               is_global=n == 0)
        for i in range(4 if spec.kind.name in ("contacts", "leads") else 3):
            self.add(spec.resource, self._record(spec, i), unique=spec.unique)
        if spec.kind.name == "cases":
            self.b.set_meta(f"case_seq:{self.name}", str(1001 + 3))  # next identifier

    def relations(self) -> None:
        for spec in self.acc.specs.values():
            ids = self.ids.get(spec.resource, [])
            lists = self.b.static_lists(self.name, spec.resource)
            for i, rid in enumerate(ids):
                self.b.add_to_list(lists[0]["id"], rid)
                if i % 2 == 0:
                    self.b.add_to_list(lists[1]["id"], rid)
                if spec.kind.note_type and i < 2:
                    self.add("notes", {"text": f"Seeded {spec.kind.singular} note {i + 1}: "
                                               "called, left a voicemail.",
                                       "type": ("call", "meeting")[i],
                                       "datetime": f"2025-02-0{i + 1}T15:00:00+00:00",
                                       "entity_type": spec.kind.note_type, "entity_id": rid},
                             parent_id=rid)
                if i < 2:
                    self.b.link_workflow(rid, self.ids["workflows"][i])
        for case_id in self.ids.get("cases", [])[:2]:
            self.add("replies", {"case_id": case_id, "text": "Thanks, we are looking into it.",
                                 "template_id": None}, parent_id=case_id)
        deal = self.ids["deals"][0]
        self.b.associate(deal, "contacts", self.ids["contacts"][:2])
        self.b.associate(deal, "accounts", self.ids["accounts"][:1])
        self.b.associate(deal, "leads", self.ids["leads"][:1])

    def tasks(self) -> None:
        cats, users = self.ids["task_categories"], self.ids["users"]
        for i, task in enumerate(("Call back about the renewal", "Send the proposal",
                                  "Prepare the quarterly review")):
            self.add("tasks", {"task": task, "owner_id": users[1],
                               "due_date": f"2025-03-1{i}T09:00:00+00:00",
                               "association_type": "contact",
                               "association_id": self.ids["contacts"][i],
                               "reminder_type": "email", "remind_minutes": 30,
                               "is_completed": i == 2, "category_id": cats[i]})


def seed(backend: Backend, account: Account) -> bool:
    """Seed one account unless this database already holds its data; True when seeded."""
    key = f"seeded:{account.name}"
    if backend.get_meta(key):
        return False
    with backend.transaction():
        Seeder(backend, account).run()
        backend.set_meta(key, "1")
    return True
