"""Properties both stacks share: least-privilege IAM, log retention, the responses table, the
generated secret, justified checkov skips, only settings the gateway knows."""

import re

from .cfn import ROOT, alternatives, as_list, policy_statements, ref, resources, skip_entries

# Actions AWS only grants on Resource "*" (no resource-level permissions).
RESOURCELESS_ACTIONS = {"bedrock:ListFoundationModels", "bedrock:ListInferenceProfiles", "ecr:GetAuthorizationToken"}
RESPONSES_TABLE_ACTIONS = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"}
# Lands with the Responses API branch (the table's name); every other name must be in config.rs.
SETTINGS_FROM_OTHER_BRANCHES = {"RESPONSES_TABLE"}


def all_statements(template):
    for role in resources(template, "AWS::IAM::Role").values():
        yield from policy_statements(role)


def test_iam_actions_are_named_one_by_one(stack):
    actions = [a for s in all_statements(stack) for a in as_list(s["Action"])]
    assert actions, "no inline IAM statements found"
    assert [a for a in actions if "*" in a] == []


def test_iam_resource_star_only_for_actions_without_resource_permissions(stack):
    for statement in all_statements(stack):
        assert statement["Effect"] == "Allow"
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= RESOURCELESS_ACTIONS, statement


def bedrock_invoke_statement(template):
    invokes = [s for s in all_statements(template) if "bedrock:InvokeModel" in as_list(s["Action"])]
    assert len(invokes) == 1
    return invokes[0]


def test_bedrock_invoke_covers_streaming_and_can_be_narrowed(stack):
    statement = bedrock_invoke_statement(stack)
    assert "bedrock:InvokeModelWithResponseStream" in statement["Action"]
    condition, narrowed, default = statement["Resource"]["Fn::If"]
    assert condition == "HasModelArns" and narrowed == ref("AllowedModelArns")
    defaults = [r["Fn::Sub"] for r in default]
    assert any(r.endswith(":foundation-model/*") for r in defaults)
    assert any(r.endswith(":inference-profile/*") for r in defaults)
    assert all(r.startswith("arn:${AWS::Partition}:bedrock:") for r in defaults)
    assert stack["Parameters"]["AllowedModelArns"]["Default"] == ""


STACK_KEY_ARN = {"Fn::GetAtt": ["EncryptionKey", "Arn"]}


def test_every_log_group_has_a_retention_and_the_stack_key(stack):
    groups = resources(stack, "AWS::Logs::LogGroup")
    assert groups
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == ref("LogRetentionDays")
        assert group["Properties"]["KmsKeyId"] == STACK_KEY_ARN
    assert stack["Parameters"]["LogRetentionDays"]["Default"] in stack["Parameters"]["LogRetentionDays"]["AllowedValues"]


def test_empty_secret_arn_creates_a_secret_with_a_generated_key(stack):
    assert stack["Parameters"]["ApiKeySecretArn"]["Default"] == ""
    assert stack["Conditions"]["CreateSecret"] == {"Fn::Equals": [ref("ApiKeySecretArn"), ""]}
    secret = stack["Resources"]["ApiKeySecret"]
    assert secret["Condition"] == "CreateSecret"
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["GenerateStringKey"] == "api_key"  # the field keys.rs reads
    assert generated["PasswordLength"] >= 32


def test_the_secret_in_use_is_the_only_one_readable(stack):
    in_use = {"Fn::If": ["CreateSecret", ref("ApiKeySecret"), ref("ApiKeySecretArn")]}
    reads = [s for s in all_statements(stack) if "secretsmanager:GetSecretValue" in as_list(s["Action"])]
    assert len(reads) == 1
    assert reads[0]["Resource"] == in_use
    assert stack["Outputs"]["ApiKeySecretArn"]["Value"] == in_use


def test_responses_table(stack):
    assert stack["Parameters"]["EnableResponsesTable"]["Default"] == "true"
    assert stack["Conditions"]["CreateResponsesTable"] == {"Fn::Equals": [ref("EnableResponsesTable"), "true"]}
    table = stack["Resources"]["ResponsesTable"]
    props = table["Properties"]
    assert table["Condition"] == "CreateResponsesTable"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_responses_table_access_is_four_actions_on_that_table(stack):
    uses = [s for s in all_statements(stack) if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))]
    assert len(uses) == 1
    assert set(uses[0]["Action"]) == RESPONSES_TABLE_ACTIONS
    assert uses[0]["Resource"] == {"Fn::GetAtt": ["ResponsesTable", "Arn"]}
    statements = responses_table_policy(stack)["PolicyDocument"]["Statement"]
    assert [s["Resource"] for s in statements] == [uses[0]["Resource"], STACK_KEY_ARN]  # the table, its key


def responses_table_policy(template):
    (policy,) = [policy for role in resources(template, "AWS::IAM::Role").values()
                 for entry in role["Properties"].get("Policies", []) for policy in alternatives(entry)
                 if policy["PolicyName"] == "responses-table"]
    return policy


def test_every_checkov_skip_gives_its_reason(stack):
    skips = list(skip_entries(stack))
    assert skips, "expected the documented skips"
    for resource, entry in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", entry["id"]), (resource, entry)
        assert len(entry.get("comment", "")) >= 30, (resource, entry)


def gateway_settings():
    config = (ROOT / "crates" / "gateway" / "src" / "config.rs").read_text()
    names = set(re.findall(r'env = "([A-Z0-9_]+)"', config))
    assert {"API_KEY", "DEFAULT_MODEL", "PORT"} <= names
    return names | SETTINGS_FROM_OTHER_BRANCHES


def environment_names(template):
    for function in resources(template, "AWS::Lambda::Function").values():
        yield from function["Properties"]["Environment"]["Variables"]
    for task in resources(template, "AWS::ECS::TaskDefinition").values():
        for container in task["Properties"]["ContainerDefinitions"]:
            for entry in container.get("Environment", []) + container.get("Secrets", []):
                yield from (e["Name"] for e in alternatives(entry))


def test_only_settings_the_gateway_reads_are_set(stack):
    names = set(environment_names(stack))
    assert {"DEFAULT_MODEL", "ENABLE_PROMPT_CACHING", "RESPONSES_TABLE"} <= names
    assert names - gateway_settings() == set()


def test_alarm_e_mail_is_optional(stack):
    assert stack["Parameters"]["AlarmEmail"]["Default"] == ""
    subscription = stack["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["TopicArn"] == ref("AlarmTopic")


def test_every_alarm_notifies_the_topic(stack):
    alarms = resources(stack, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 4
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [ref("AlarmTopic")], name
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching", name


def test_outputs_the_api_base_url(stack):
    url = stack["Outputs"]["APIBaseUrl"]["Value"]
    texts = [v["Fn::Sub"] for branch in alternatives(url) for v in alternatives(branch)]
    assert texts and all(t.endswith("/v1") for t in texts)


def test_docs_describe_every_parameter(stack):
    docs = (ROOT / "docs" / "deploy.md").read_text()
    name = "lambda.yaml" if "Function" in stack["Resources"] else "fargate.yaml"
    section = docs.split(f"#### {name}\n\n", 1)[1].split("\n\n", 1)[0]  # the table under the heading
    documented = re.findall(r"^\| `(\w+)` \|", section, re.M)
    assert documented == list(stack["Parameters"])


def test_stack_key_rotates_outlives_the_table_and_lets_only_logs_and_alarms_in(stack):
    key = stack["Resources"]["EncryptionKey"]
    assert key["DeletionPolicy"] == "Retain"  # the retained table stays readable
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    services = [s["Principal"]["Service"] for s in statements if "Service" in s["Principal"]]
    assert services == [{"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}, "cloudwatch.amazonaws.com"]
    logs = statements[1]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]["Fn::Sub"]
    assert logs.endswith(":${AWS::AccountId}:log-group:*")  # this account's log groups only


def test_what_the_stack_stores_is_encrypted_with_its_key(stack):
    assert stack["Resources"]["ApiKeySecret"]["Properties"]["KmsKeyId"] == ref("EncryptionKey")
    assert stack["Resources"]["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == ref("EncryptionKey")
    sse = stack["Resources"]["ResponsesTable"]["Properties"]["SSESpecification"]
    assert sse == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": ref("EncryptionKey")}


def test_key_use_is_only_through_the_service_that_needs_it(stack):
    uses = [s for s in all_statements(stack) if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    services = {s["Condition"]["StringEquals"]["kms:ViaService"]["Fn::Sub"].split(".")[0] for s in uses}
    assert services == {"secretsmanager", "dynamodb"}
    assert {str(s["Resource"]) for s in uses} == {str(STACK_KEY_ARN), str(ref("ApiKeySecretKmsKeyArn"))}
