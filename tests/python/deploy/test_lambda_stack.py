"""deploy/cloudformation/lambda.yaml: REST API streaming into an arm64 Lambda."""

from .cfn import ref, resources

STREAM_URI_SUFFIX = "/2021-11-15/functions/${Function.Arn}/response-streaming-invocations"


def function(stack):
    return stack["Resources"]["Function"]["Properties"]


def test_function_runs_the_bootstrap_zip_on_arm64(lambda_stack):
    props = function(lambda_stack)
    assert props["Runtime"] == "provided.al2023" and props["Handler"] == "bootstrap"
    assert props["Architectures"] == [ref("Architecture")]
    assert lambda_stack["Parameters"]["Architecture"]["Default"] == "arm64"
    assert props["Code"] == {"S3Bucket": ref("CodeS3Bucket"), "S3Key": ref("CodeS3Key")}


def test_timeout_leaves_room_for_long_streams(lambda_stack):
    assert function(lambda_stack)["Timeout"] == 600


def test_function_logs_to_its_own_group(lambda_stack):
    assert function(lambda_stack)["LoggingConfig"]["LogGroup"] == ref("FunctionLogGroup")
    logs = [p for p in lambda_stack["Resources"]["FunctionRole"]["Properties"]["Policies"] if p.get("PolicyName") == "logs"]
    assert logs[0]["PolicyDocument"]["Statement"][0]["Resource"] == {"Fn::GetAtt": ["FunctionLogGroup", "Arn"]}


def integrations(stack):
    paths = stack["Resources"]["RestApi"]["Properties"]["Body"]["paths"]
    return {path: ops["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"] for path, ops in paths.items()}


def test_every_route_streams_from_the_function(lambda_stack):
    routes = integrations(lambda_stack)
    assert set(routes) == {"/", "/{proxy+}"}
    for integration in routes.values():
        assert integration["type"] == "aws_proxy" and integration["httpMethod"] == "POST"
        assert integration["responseTransferMode"] == "STREAM"
        assert integration["uri"]["Fn::Sub"].endswith(STREAM_URI_SUFFIX)
        assert integration["timeoutInMillis"] == 600 * 1000


def test_only_this_api_may_invoke_the_function(lambda_stack):
    permission = lambda_stack["Resources"]["InvokePermission"]["Properties"]
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert "${RestApi}/" in permission["SourceArn"]["Fn::Sub"]


def stage(stack):
    return stack["Resources"]["Stage"]["Properties"]


def test_stage_is_throttled(lambda_stack):
    (settings,) = stage(lambda_stack)["MethodSettings"]
    assert settings["ResourcePath"] == "/*" and settings["HttpMethod"] == "*"
    assert settings["ThrottlingRateLimit"] == ref("ThrottlingRateLimit")
    assert settings["ThrottlingBurstLimit"] == ref("ThrottlingBurstLimit")
    assert settings["DataTraceEnabled"] is False  # full request logging would log prompts


def test_stage_writes_access_logs_once_the_logs_role_is_set(lambda_stack):
    access = stage(lambda_stack)["AccessLogSetting"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    for field in ("$context.requestId", "$context.status", "$context.integration.latency"):
        assert field in access["Format"]
    assert "${ApiGatewayAccount}" in stage(lambda_stack)["Description"]["Fn::If"][1]["Fn::Sub"]
    account = lambda_stack["Resources"]["ApiGatewayAccount"]
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayLogsRole", "Arn"]}


def alarm_metrics(stack):
    alarms = resources(stack, "AWS::CloudWatch::Alarm").values()
    # str(): the gateway's own namespace is a !Sub (see test_observability_stack.py).
    return {(str(a["Properties"]["Namespace"]), a["Properties"]["MetricName"]): a["Properties"] for a in alarms}


def test_lambda_alarms_on_errors_throttles_and_duration(lambda_stack):
    metrics = alarm_metrics(lambda_stack)
    for metric in ("Errors", "Throttles", "Duration"):
        alarm = metrics[("AWS/Lambda", metric)]
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": ref("Function")}]
    duration = metrics[("AWS/Lambda", "Duration")]
    assert duration["ExtendedStatistic"] == "p99" and duration["Threshold"] < 600_000
    assert ("AWS/ApiGateway", "5XXError") in metrics


def test_environment_points_at_the_stack_resources(lambda_stack):
    env = function(lambda_stack)["Environment"]["Variables"]
    assert env["RESPONSES_TABLE"] == {"Fn::If": ["CreateResponsesTable", ref("ResponsesTable"), ref("AWS::NoValue")]}
    assert env["API_KEY_SECRET_ARN"] == {"Fn::If": ["CreateSecret", ref("ApiKeySecret"), ref("ApiKeySecretArn")]}
    assert env["DEFAULT_MODEL"] == ref("DefaultModelId")


def test_base_url_is_the_stage_url(lambda_stack):
    url = lambda_stack["Outputs"]["APIBaseUrl"]["Value"]["Fn::Sub"]
    assert url == "https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/v1"
