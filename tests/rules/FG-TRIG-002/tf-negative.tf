# The function URL requires SigV4 (AWS_IAM), callable from this account only.

variable "service" {
  description = "Service name, used as a prefix for every resource."
  type        = string
  default     = "orders"
}

variable "stage" {
  description = "Deployment stage."
  type        = string
  default     = "prod"
}

variable "private_subnet_ids" {
  description = "Private subnets the functions run in."
  type        = list(string)
}

variable "vpc_id" {
  type = string
}

variable "signing_profile_version_arn" {
  description = "AWS Signer profile version allowed to sign the packages."
  type        = string
}

locals {
  name = "${var.service}-${var.stage}"
  tags = {
    Service   = var.service
    Stage     = var.stage
    ManagedBy = "terraform"
  }
}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    sid     = "LambdaAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "fn" {
  name               = "${local.name}-fn"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "fn_vpc" {
  role       = aws_iam_role.fn.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_lambda_code_signing_config" "this" {
  description = "Only packages signed by the CI profile may be deployed"

  allowed_publishers {
    signing_profile_version_arns = [var.signing_profile_version_arn]
  }

  policies {
    untrusted_artifact_on_deployment = "Enforce"
  }
}

resource "aws_security_group" "lambda" {
  name        = "${local.name}-lambda"
  description = "Outbound HTTPS to VPC endpoints only"
  vpc_id      = var.vpc_id

  egress {
    description = "HTTPS to VPC interface endpoints"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }

  tags = local.tags
}

resource "aws_lambda_function" "api" {
  function_name                  = "${local.name}-api"
  description                    = "Api handler"
  role                           = aws_iam_role.fn.arn
  runtime                        = "python3.13"
  handler                        = "app.handler"
  architectures                  = ["arm64"]
  filename                       = "${path.module}/dist/api.zip"
  source_code_hash               = filebase64sha256("${path.module}/dist/api.zip")
  memory_size                    = 256
  timeout                        = 15
  reserved_concurrent_executions = 10
  code_signing_config_arn        = aws_lambda_code_signing_config.this.arn

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [aws_security_group.lambda.id]
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format            = "JSON"
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  tags = local.tags

  depends_on = [aws_cloudwatch_log_group.api]
}

resource "aws_cloudwatch_log_group" "api" {
  name              = "/aws/lambda/${local.name}-api"
  retention_in_days = 30
  tags              = local.tags
}

resource "aws_cloudwatch_metric_alarm" "api_errors" {
  alarm_name          = "${local.name}-api-errors"
  alarm_description   = "api returned errors"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"

  dimensions = {
    FunctionName = aws_lambda_function.api.function_name
  }
}

resource "aws_lambda_function_url" "api" {
  function_name      = aws_lambda_function.api.function_name
  authorization_type = "AWS_IAM"
}


resource "aws_lambda_permission" "url" {
  statement_id           = "AllowPartnerInvokeUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.api.function_name
  principal              = data.aws_caller_identity.current.account_id
  function_url_auth_type = "AWS_IAM"
}

data "aws_caller_identity" "current" {}
