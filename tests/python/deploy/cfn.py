"""Reads the CloudFormation templates with their short-form intrinsic tags (!Ref, !Sub, !If…)
turned into the long JSON form, and walks the values they can take."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "deploy" / "cloudformation"


class CfnLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's short-form tags."""


def _construct(tag_name):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if tag_name == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        key = tag_name if tag_name in ("Ref", "Condition") else f"Fn::{tag_name}"
        return {key: value}

    return construct


for _tag in ("Ref", "Condition", "Sub", "GetAtt", "If", "Equals", "Not", "And", "Or", "Join",
             "Select", "Split", "GetAZs", "Cidr", "FindInMap", "Base64", "ImportValue"):
    CfnLoader.add_constructor(f"!{_tag}", _construct(_tag))


def load(name):
    return yaml.load((TEMPLATES / name).read_text(), Loader=CfnLoader)


def resources(template, type_name):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == type_name}


def ref(name):
    return {"Ref": name}


NO_VALUE = ref("AWS::NoValue")


def alternatives(value):
    """Every value a property can take once each Fn::If is decided (AWS::NoValue dropped)."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        _, when_true, when_false = value["Fn::If"]
        return [v for branch in (when_true, when_false) for v in alternatives(branch)]
    if value == NO_VALUE:
        return []
    return [value]


def as_list(value):
    return value if isinstance(value, list) else [value]


def policy_statements(role):
    """The statements of a role's inline policies, across every Fn::If branch."""
    for policy in (p for entry in role["Properties"].get("Policies", []) for p in alternatives(entry)):
        for entry in policy["PolicyDocument"]["Statement"]:
            yield from alternatives(entry)


def skip_entries(template):
    """Every checkov skip declared in resource Metadata, as (resource, entry)."""
    for name, resource in template["Resources"].items():
        for entry in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            yield name, entry
