import pytest

from .cfn import load


@pytest.fixture(scope="session")
def lambda_stack():
    return load("lambda.yaml")


@pytest.fixture(scope="session")
def fargate_stack():
    return load("fargate.yaml")


@pytest.fixture(scope="session", params=["lambda.yaml", "fargate.yaml"])
def stack(request):
    return load(request.param)
