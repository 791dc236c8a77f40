"""Both stacks turn on the gateway's EMF metrics, chart them on a dashboard and alarm on
Bedrock throttling through the stack's topic."""

import json
import re

from .cfn import ROOT, alternatives, ref, resources
from .test_common_stack import environment_names

NAMESPACE = {"Fn::Sub": "BedrockGateway/${AWS::StackName}"}


def emf_metric_names():
    """The metric names the gateway writes in its EMF lines (crates/gateway/src/emf.rs)."""
    source = (ROOT / "crates" / "gateway" / "src" / "emf.rs").read_text()
    names = set(re.findall(r'\("([A-Za-z]+)", "(?:Count|Milliseconds)"', source))
    assert {"Requests", "Latency", "TimeToFirstToken", "Throttles", "InputTokens"} <= names
    return names


def environment(stack):
    for function in resources(stack, "AWS::Lambda::Function").values():
        yield from function["Properties"]["Environment"]["Variables"].items()
    for task in resources(stack, "AWS::ECS::TaskDefinition").values():
        for container in task["Properties"]["ContainerDefinitions"]:
            for entry in container.get("Environment", []):
                yield from ((e["Name"], e["Value"]) for e in alternatives(entry))


def test_emf_is_on_with_a_namespace_per_stack(stack):
    settings = dict(environment(stack))
    assert settings["METRICS_EMF"] == "true"
    assert settings["METRICS_EMF_NAMESPACE"] == NAMESPACE
    assert {"METRICS_EMF", "METRICS_EMF_NAMESPACE"} <= set(environment_names(stack))


def dashboard_body(stack):
    (dashboard,) = resources(stack, "AWS::CloudWatch::Dashboard").values()
    template, variables = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    assert variables == {"Namespace": NAMESPACE}
    text = template.replace("${AWS::Region}", "us-east-1").replace("${Namespace}", "BedrockGateway/test")
    assert "${" not in text, "a variable the dashboard does not define"
    return json.loads(text)


def test_the_dashboard_charts_only_metrics_the_gateway_writes(stack):
    widgets = dashboard_body(stack)["widgets"]
    assert len(widgets) >= 5
    charted = set()
    for widget in widgets:
        for row in widget["properties"]["metrics"]:
            if isinstance(row[0], dict):
                expression = row[0]["expression"]
                assert expression.startswith("SEARCH('{BedrockGateway/test,Model} MetricName=")
                charted.update(re.findall(r'MetricName="([A-Za-z]+)"', expression))
            else:
                assert row[0] == "BedrockGateway/test"
                charted.add(row[1])
    assert {"Requests", "Latency", "TimeToFirstToken", "InputTokens", "OutputTokens", "Throttles"} <= charted
    assert charted <= emf_metric_names()


def test_bedrock_throttling_alarms_to_the_topic(stack):
    alarm = stack["Resources"]["BedrockThrottlingAlarm"]["Properties"]
    assert alarm["Namespace"] == NAMESPACE and alarm["MetricName"] == "Throttles"
    assert "Throttles" in emf_metric_names()
    assert "Dimensions" not in alarm  # the service-wide (empty) dimension set of the EMF lines
    assert alarm["AlarmActions"] == [ref("AlarmTopic")] and alarm["Statistic"] == "Sum"
