# HTTP API CORS allows any origin together with credentials.

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

variable "user_pool_id" {
  type = string
}

variable "app_client_id" {
  type = string
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

resource "aws_apigatewayv2_api" "orders" {
  name          = "${local.name}-orders"
  protocol_type = "HTTP"

  cors_configuration {
    allow_origins     = ["*"]
    allow_methods     = ["GET", "POST", "OPTIONS"]
    allow_headers     = ["authorization", "content-type"]
    allow_credentials = true
    max_age           = 3600
  }

  tags = local.tags
}

resource "aws_apigatewayv2_integration" "api" {
  api_id                 = aws_apigatewayv2_api.orders.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.api.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_authorizer" "cognito" {
  api_id           = aws_apigatewayv2_api.orders.id
  name             = "cognito"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    audience = [var.app_client_id]
    issuer   = "https://cognito-idp.eu-west-1.amazonaws.com/${var.user_pool_id}"
  }
}

resource "aws_apigatewayv2_route" "get_order" {
  api_id               = aws_apigatewayv2_api.orders.id
  route_key            = "GET /orders/{id}"
  target               = "integrations/${aws_apigatewayv2_integration.api.id}"
  authorization_type   = "JWT"
  authorizer_id        = aws_apigatewayv2_authorizer.cognito.id
  authorization_scopes = ["orders/read"]
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.orders.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = 200
    throttling_rate_limit  = 100
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId = "$context.requestId"
      routeKey  = "$context.routeKey"
      status    = "$context.status"
      ip        = "$context.identity.sourceIp"
    })
  }
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${local.name}-orders-access"
  retention_in_days = 90
}

resource "aws_lambda_permission" "apigw" {
  statement_id  = "AllowHttpApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.orders.execution_arn}/*/*"
}
