"""deploy/cloudformation/fargate.yaml: ALB + ECS Fargate with the operations kit."""

from .cfn import alternatives, ref, resources

DRAIN_DEADLINE_SECONDS = 25  # the gateway's SHUTDOWN_GRACE_SECONDS default


def props(stack, name):
    return stack["Resources"][name]["Properties"]


def container(stack):
    (only,) = props(stack, "TaskDefinition")["ContainerDefinitions"]
    return only


def test_https_listener_only_with_a_certificate(fargate_stack):
    assert fargate_stack["Conditions"]["HasCertificate"] == {"Fn::Not": [{"Fn::Equals": [ref("CertificateArn"), ""]}]}
    https = fargate_stack["Resources"]["HttpsListener"]
    assert https["Condition"] == "HasCertificate"
    assert https["Properties"]["Protocol"] == "HTTPS" and https["Properties"]["Port"] == 443
    assert https["Properties"]["Certificates"] == [{"CertificateArn": ref("CertificateArn")}]
    assert https["Properties"]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert https["Properties"]["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": ref("TargetGroup")}]
    ingress = fargate_stack["Resources"]["LoadBalancerHttpsIngress"]
    assert ingress["Condition"] == "HasCertificate" and ingress["Properties"]["FromPort"] == 443


def test_http_redirects_to_https_when_a_certificate_is_given(fargate_stack):
    condition, with_cert, without_cert = props(fargate_stack, "HttpListener")["DefaultActions"]["Fn::If"]
    assert condition == "HasCertificate"
    assert with_cert == [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
    assert without_cert == [{"Type": "forward", "TargetGroupArn": ref("TargetGroup")}]


def test_service_waits_for_the_forwarding_listener(fargate_stack):
    assert fargate_stack["Resources"]["Service"]["DependsOn"] == "ListenersReady"
    listeners = fargate_stack["Resources"]["ListenersReady"]["Metadata"]["Listeners"]["Fn::If"]
    assert listeners == ["HasCertificate", [ref("HttpListener"), ref("HttpsListener")], [ref("HttpListener")]]


def scaling_policies(stack):
    policies = resources(stack, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    return {p["Properties"]["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]:
            p["Properties"] for p in policies}


def test_target_tracking_on_cpu_and_requests_per_target(fargate_stack):
    policies = scaling_policies(fargate_stack)
    assert set(policies) == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}
    for policy in policies.values():
        assert policy["PolicyType"] == "TargetTrackingScaling"
        assert policy["ScalingTargetId"] == ref("ScalableTarget")
    requests = policies["ALBRequestCountPerTarget"]["TargetTrackingScalingPolicyConfiguration"]
    label = requests["PredefinedMetricSpecification"]["ResourceLabel"]["Fn::Sub"]
    assert label == "${LoadBalancer.LoadBalancerFullName}/${TargetGroup.TargetGroupFullName}"
    assert requests["TargetValue"] == ref("RequestsPerTargetPerMinute")
    cpu = policies["ECSServiceAverageCPUUtilization"]["TargetTrackingScalingPolicyConfiguration"]
    assert cpu["TargetValue"] == ref("CpuTargetPercent")


def test_scaling_bounds_are_parameters(fargate_stack):
    target = props(fargate_stack, "ScalableTarget")
    assert target["MinCapacity"] == ref("MinTasks") and target["MaxCapacity"] == ref("MaxTasks")
    assert target["ResourceId"]["Fn::Sub"] == "service/${Cluster}/${Service.Name}"
    assert "DesiredCount" not in props(fargate_stack, "Service")  # updates must not undo scaling


def alarms_by_metric(stack):
    return {a["Properties"]["MetricName"]: a["Properties"] for a in resources(stack, "AWS::CloudWatch::Alarm").values()}


def test_alarms_cover_the_load_balancer_and_the_service(fargate_stack):
    alarms = alarms_by_metric(fargate_stack)
    assert set(alarms) == {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "TargetResponseTime",
                           "UnHealthyHostCount", "CPUUtilization", "MemoryUtilization", "Throttles"}
    assert alarms["TargetResponseTime"]["ExtendedStatistic"] == "p99"
    for metric in ("CPUUtilization", "MemoryUtilization"):
        assert alarms[metric]["Namespace"] == "AWS/ECS"
        assert {d["Name"] for d in alarms[metric]["Dimensions"]} == {"ClusterName", "ServiceName"}


def test_access_logs_go_to_an_encrypted_expiring_private_bucket(fargate_stack):
    attributes = {a["Key"]: a["Value"] for a in props(fargate_stack, "LoadBalancer")["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.bucket"] == ref("AccessLogsBucket")
    bucket = props(fargate_stack, "AccessLogsBucket")
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"  # ALB delivery needs SSE-S3
    assert all(bucket["PublicAccessBlockConfiguration"].values()) and len(bucket["PublicAccessBlockConfiguration"]) == 4
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == ref("AccessLogRetentionDays")


def test_bucket_policy_lets_only_log_delivery_write_under_the_prefix(fargate_stack):
    statements = props(fargate_stack, "AccessLogsBucketPolicy")["PolicyDocument"]["Statement"]
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allow) == 1 and allow[0]["Action"] == "s3:PutObject"
    assert allow[0]["Resource"]["Fn::Sub"] == "${AccessLogsBucket.Arn}/alb/AWSLogs/${AWS::AccountId}/*"
    principals = alternatives(allow[0]["Principal"])
    assert {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"} in principals


def test_idle_timeout_allows_long_streams(fargate_stack):
    attributes = {a["Key"]: a["Value"] for a in props(fargate_stack, "LoadBalancer")["LoadBalancerAttributes"]}
    assert attributes["idle_timeout.timeout_seconds"] == ref("IdleTimeoutSeconds")
    parameter = fargate_stack["Parameters"]["IdleTimeoutSeconds"]
    assert 600 <= parameter["Default"] <= parameter["MaxValue"] <= 4000


def test_container_insights(fargate_stack):
    assert {"Name": "containerInsights", "Value": "enabled"} in props(fargate_stack, "Cluster")["ClusterSettings"]


def test_deployment_circuit_breaker_rolls_back(fargate_stack):
    deployment = props(fargate_stack, "Service")["DeploymentConfiguration"]
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}


def test_container_logs_to_cloudwatch(fargate_stack):
    logging = container(fargate_stack)["LogConfiguration"]
    assert logging["LogDriver"] == "awslogs"
    assert logging["Options"]["awslogs-group"] == ref("LogGroup")
    assert logging["Options"]["mode"] == "non-blocking"  # a slow log pipe never stalls requests


def test_api_key_comes_from_secrets_manager(fargate_stack):
    (secret,) = container(fargate_stack)["Secrets"]
    assert secret["Name"] == "API_KEY"
    text, values = secret["ValueFrom"]["Fn::Sub"]
    assert text == "${Secret}:api_key::"
    assert values["Secret"] == {"Fn::If": ["CreateSecret", ref("ApiKeySecret"), ref("ApiKeySecretArn")]}


def test_stop_timeout_covers_the_drain_deadline(fargate_stack):
    assert container(fargate_stack)["StopTimeout"] > DRAIN_DEADLINE_SECONDS
    attributes = {a["Key"]: a["Value"] for a in props(fargate_stack, "TargetGroup")["TargetGroupAttributes"]}
    assert int(attributes["deregistration_delay.timeout_seconds"]) >= 60


def test_arm64_non_root_read_only_task(fargate_stack):
    task = props(fargate_stack, "TaskDefinition")
    assert task["RuntimePlatform"] == {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}
    assert container(fargate_stack)["ReadonlyRootFilesystem"] is True
    assert not container(fargate_stack)["User"].startswith("0")


def test_existing_vpc_is_used_when_its_subnets_are_given(fargate_stack):
    conditions = fargate_stack["Conditions"]
    assert conditions["UseExistingVpc"] == {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", ref("PublicSubnetIds")]}, ""]}]}
    assert conditions["CreateVpc"] == {"Fn::Not": [{"Condition": "UseExistingVpc"}]}
    assert conditions["TasksInPrivateSubnets"] == {"Fn::And": [{"Condition": "UseExistingVpc"}, {"Condition": "HasPrivateSubnets"}]}
    rules = fargate_stack["Rules"]
    public_given = {"Fn::Not": [{"Fn::EachMemberEquals": [ref("PublicSubnetIds"), ""]}]}
    vpc_given = {"Fn::Not": [{"Fn::Equals": [ref("VpcId"), ""]}]}
    assert rules["ExistingVpcNeedsSubnets"]["RuleCondition"] == vpc_given
    assert rules["ExistingVpcNeedsSubnets"]["Assertions"][0]["Assert"] == public_given
    assert rules["SubnetsNeedExistingVpc"]["RuleCondition"] == public_given
    assert rules["SubnetsNeedExistingVpc"]["Assertions"][0]["Assert"] == vpc_given
    assert rules["PrivateSubnetsNeedExistingVpc"]["Assertions"][0]["Assert"] == vpc_given


def test_network_resources_exist_only_for_a_new_vpc(fargate_stack):
    network_types = ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::InternetGateway", "AWS::EC2::RouteTable",
                     "AWS::EC2::Route", "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::SubnetRouteTableAssociation")
    network = [r for r in fargate_stack["Resources"].values() if r["Type"] in network_types]
    assert len(network) == 9
    assert all(r.get("Condition") == "CreateVpc" for r in network)
    for name in ("TargetGroup", "TaskSecurityGroup", "LoadBalancerSecurityGroup"):
        assert props(fargate_stack, name)["VpcId"] == {"Fn::If": ["CreateVpc", ref("Vpc"), ref("VpcId")]}


def test_tasks_use_private_subnets_without_public_ip_when_given(fargate_stack):
    network = props(fargate_stack, "Service")["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == {"Fn::If": ["TasksInPrivateSubnets", "DISABLED", "ENABLED"]}
    condition, existing, new = network["Subnets"]["Fn::If"]
    assert condition == "UseExistingVpc"
    assert existing == {"Fn::If": ["HasPrivateSubnets", ref("PrivateSubnetIds"), ref("PublicSubnetIds")]}
    assert new == [ref("PublicSubnet1"), ref("PublicSubnet2")]
    balancer_subnets = props(fargate_stack, "LoadBalancer")["Subnets"]["Fn::If"]
    assert balancer_subnets == ["UseExistingVpc", ref("PublicSubnetIds"), [ref("PublicSubnet1"), ref("PublicSubnet2")]]


def test_load_balancer_talks_to_the_tasks_only(fargate_stack):
    (egress,) = props(fargate_stack, "LoadBalancerSecurityGroup")["SecurityGroupEgress"]
    assert egress["DestinationSecurityGroupId"] == {"Fn::GetAtt": ["TaskSecurityGroup", "GroupId"]}
    assert (egress["FromPort"], egress["ToPort"]) == (8080, 8080)
    assert resources(fargate_stack, "AWS::EC2::SecurityGroupEgress") == {}


def test_tasks_accept_traffic_from_the_load_balancer_only(fargate_stack):
    assert "SecurityGroupIngress" not in props(fargate_stack, "TaskSecurityGroup")
    task_group = {"Fn::GetAtt": ["TaskSecurityGroup", "GroupId"]}
    ingress = [r["Properties"] for r in resources(fargate_stack, "AWS::EC2::SecurityGroupIngress").values()
               if r["Properties"]["GroupId"] == task_group]
    assert ingress == [{
        "GroupId": task_group, "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
        "SourceSecurityGroupId": {"Fn::GetAtt": ["LoadBalancerSecurityGroup", "GroupId"]},
        "Description": "The load balancer only",
    }]


def test_base_url_is_https_with_a_certificate(fargate_stack):
    condition, with_cert, without_cert = fargate_stack["Outputs"]["APIBaseUrl"]["Value"]["Fn::If"]
    assert condition == "HasCertificate"
    assert all(v["Fn::Sub"].startswith("https://") for v in alternatives(with_cert))
    assert without_cert["Fn::Sub"].startswith("http://")
