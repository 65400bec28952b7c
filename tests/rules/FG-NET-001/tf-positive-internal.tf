# Outside a VPC although it talks to an RDS instance (reported at medium).

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

  environment {
    variables = {
      DB_HOST       = aws_db_instance.orders.address
      DB_SECRET_ARN = aws_db_instance.orders.master_user_secret[0].secret_arn
    }
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

resource "aws_db_instance" "orders" {
  identifier                  = "${local.name}-orders"
  engine                      = "postgres"
  engine_version              = "16.4"
  instance_class              = "db.t4g.micro"
  allocated_storage           = 20
  username                    = "orders"
  manage_master_user_password = true
  storage_encrypted           = true
  skip_final_snapshot         = true
}
