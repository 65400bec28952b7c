# PassRole scoped by name to a role this module does not declare (the
# administrator role is named platform-admin): no escalation.

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "admin" {
  name                = "platform-admin"
  assume_role_policy  = data.aws_iam_policy_document.assume_lambda.json
  managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}

resource "aws_iam_role" "deploy" {
  name               = "deploy"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "PassReporting"
    actions   = ["iam:PassRole"]
    resources = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/reporting-readonly"]
  }
  statement {
    sid       = "ManageFunctions"
    actions   = ["lambda:CreateFunction", "lambda:InvokeFunction"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}

resource "aws_lambda_function" "deploy" {
  function_name = "deploy"
  role          = aws_iam_role.deploy.arn
  runtime       = "python3.13"
  handler       = "app.handler"
  filename      = "dist/deploy.zip"
}
