# Every function: signed code only, current runtime, JSON logs, X-Ray,
# private subnets, reserved concurrency, and its own role.

resource "aws_signer_signing_profile" "orders" {
  name_prefix = "orders"
  platform_id = "AWSLambda-SHA384-ECDSA"
}

resource "aws_lambda_code_signing_config" "enforce" {
  description = "only artifacts signed by CI may deploy"
  allowed_publishers {
    signing_profile_version_arns = [aws_signer_signing_profile.orders.version_arn]
  }
  policies {
    untrusted_artifact_on_deployment = "Enforce"
  }
}

# ---- create_order

data "archive_file" "create_order" {
  type        = "zip"
  source_dir  = "${local.src_root}/create_order"
  output_path = "${path.module}/build/create_order.zip"
}

resource "aws_lambda_function" "create_order" {
  function_name                  = "${local.name}-create-order"
  role                           = aws_iam_role.create_order.arn
  runtime                        = "python3.13"
  architectures                  = ["arm64"]
  handler                        = "app.handler"
  filename                       = data.archive_file.create_order.output_path
  source_code_hash               = data.archive_file.create_order.output_base64sha256
  timeout                        = 30
  memory_size                    = 512
  reserved_concurrent_executions = 50
  code_signing_config_arn        = aws_lambda_code_signing_config.enforce.arn

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.create_order.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [aws_security_group.functions.id]
  }

  environment {
    variables = {
      ORDERS_TABLE       = aws_dynamodb_table.orders.name
      PAYMENTS_QUEUE_URL = aws_sqs_queue.payments.url
    }
  }
}

resource "aws_cloudwatch_log_group" "create_order" {
  name              = "/aws/lambda/${local.name}-create-order"
  retention_in_days = 90
}

# ---- get_order

data "archive_file" "get_order" {
  type        = "zip"
  source_dir  = "${local.src_root}/get_order"
  output_path = "${path.module}/build/get_order.zip"
}

resource "aws_lambda_function" "get_order" {
  function_name                  = "${local.name}-get-order"
  role                           = aws_iam_role.get_order.arn
  runtime                        = "python3.13"
  architectures                  = ["arm64"]
  handler                        = "app.handler"
  filename                       = data.archive_file.get_order.output_path
  source_code_hash               = data.archive_file.get_order.output_base64sha256
  timeout                        = 10
  memory_size                    = 512
  reserved_concurrent_executions = 50
  code_signing_config_arn        = aws_lambda_code_signing_config.enforce.arn

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.get_order.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [aws_security_group.functions.id]
  }

  environment {
    variables = {
      ORDERS_TABLE = aws_dynamodb_table.orders.name
    }
  }
}

resource "aws_cloudwatch_log_group" "get_order" {
  name              = "/aws/lambda/${local.name}-get-order"
  retention_in_days = 90
}

# ---- process_payment

data "archive_file" "process_payment" {
  type        = "zip"
  source_dir  = "${local.src_root}/process_payment"
  output_path = "${path.module}/build/process_payment.zip"
}

# Shared code of the Python functions (the Postgres driver and helpers).
data "archive_file" "orders_common" {
  type        = "zip"
  source_dir  = "${path.module}/../../layers/hardened/orders-common"
  output_path = "${path.module}/build/orders_common.zip"
}

resource "aws_lambda_layer_version" "orders_common" {
  layer_name          = "${local.name}-orders-common"
  filename            = data.archive_file.orders_common.output_path
  source_code_hash    = data.archive_file.orders_common.output_base64sha256
  compatible_runtimes = ["python3.13"]
}

resource "aws_lambda_function" "process_payment" {
  function_name                  = "${local.name}-process-payment"
  role                           = aws_iam_role.process_payment.arn
  runtime                        = "python3.13"
  architectures                  = ["arm64"]
  handler                        = "app.handler"
  layers                         = [aws_lambda_layer_version.orders_common.arn]
  filename                       = data.archive_file.process_payment.output_path
  source_code_hash               = data.archive_file.process_payment.output_base64sha256
  timeout                        = 120
  memory_size                    = 512
  reserved_concurrent_executions = 10
  code_signing_config_arn        = aws_lambda_code_signing_config.enforce.arn

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.process_payment.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [aws_security_group.functions.id]
  }

  environment {
    variables = {
      ORDERS_TABLE = aws_dynamodb_table.orders.name
      # Credentials are fetched at run time; only their ARNs are configured.
      DB_SECRET_ARN     = aws_rds_cluster.ledger.master_user_secret[0].secret_arn
      DB_HOST           = aws_rds_cluster.ledger.endpoint
      STRIPE_SECRET_ARN = data.aws_secretsmanager_secret.stripe.arn
    }
  }
}

resource "aws_cloudwatch_log_group" "process_payment" {
  name              = "/aws/lambda/${local.name}-process-payment"
  retention_in_days = 365
}

# ---- generate_invoice

data "archive_file" "generate_invoice" {
  type        = "zip"
  source_dir  = "${local.src_root}/generate_invoice"
  output_path = "${path.module}/build/generate_invoice.zip"
}

resource "aws_lambda_function" "generate_invoice" {
  function_name                  = "${local.name}-generate-invoice"
  role                           = aws_iam_role.generate_invoice.arn
  runtime                        = "nodejs22.x"
  architectures                  = ["arm64"]
  handler                        = "index.handler"
  filename                       = data.archive_file.generate_invoice.output_path
  source_code_hash               = data.archive_file.generate_invoice.output_base64sha256
  timeout                        = 60
  memory_size                    = 512
  reserved_concurrent_executions = 20
  code_signing_config_arn        = aws_lambda_code_signing_config.enforce.arn

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.generate_invoice.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [aws_security_group.functions.id]
  }

  environment {
    variables = {
      UPLOADS_BUCKET = aws_s3_bucket.uploads.bucket
    }
  }
}

resource "aws_cloudwatch_log_group" "generate_invoice" {
  name              = "/aws/lambda/${local.name}-generate-invoice"
  retention_in_days = 90
}

resource "aws_lambda_function_event_invoke_config" "generate_invoice" {
  function_name                = aws_lambda_function.generate_invoice.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600
  destination_config {
    on_failure {
      destination = aws_sqs_queue.async_failures.arn
    }
  }
}

# ---- nightly_report

data "archive_file" "nightly_report" {
  type        = "zip"
  source_dir  = "${local.src_root}/nightly_report"
  output_path = "${path.module}/build/nightly_report.zip"
}

resource "aws_lambda_function" "nightly_report" {
  function_name                  = "${local.name}-nightly-report"
  role                           = aws_iam_role.nightly_report.arn
  runtime                        = "python3.13"
  architectures                  = ["arm64"]
  handler                        = "app.handler"
  filename                       = data.archive_file.nightly_report.output_path
  source_code_hash               = data.archive_file.nightly_report.output_base64sha256
  timeout                        = 300
  memory_size                    = 512
  reserved_concurrent_executions = 1
  code_signing_config_arn        = aws_lambda_code_signing_config.enforce.arn

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.nightly_report.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [aws_security_group.functions.id]
  }

  environment {
    variables = {
      REPORTS_BUCKET = aws_s3_bucket.uploads.bucket
      DB_SECRET_ARN  = aws_rds_cluster.ledger.master_user_secret[0].secret_arn
    }
  }
}

resource "aws_cloudwatch_log_group" "nightly_report" {
  name              = "/aws/lambda/${local.name}-nightly-report"
  retention_in_days = 90
}

resource "aws_lambda_function_event_invoke_config" "nightly_report" {
  function_name                = aws_lambda_function.nightly_report.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600
  destination_config {
    on_failure {
      destination = aws_sqs_queue.async_failures.arn
    }
  }
}

# ---- triggers

resource "aws_lambda_event_source_mapping" "payments" {
  event_source_arn        = aws_sqs_queue.payments.arn
  function_name           = aws_lambda_function.process_payment.arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]
}

resource "aws_lambda_permission" "s3_invoke_invoice" {
  statement_id   = "AllowS3Invoke"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.generate_invoice.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.uploads.arn
  source_account = data.aws_caller_identity.current.account_id
}

resource "aws_s3_bucket_notification" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  lambda_function {
    lambda_function_arn = aws_lambda_function.generate_invoice.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "uploads/"
  }
  depends_on = [aws_lambda_permission.s3_invoke_invoice]
}

resource "aws_cloudwatch_event_rule" "nightly" {
  name                = "${local.name}-nightly-report"
  schedule_expression = "cron(15 2 * * ? *)"
}

resource "aws_cloudwatch_event_target" "nightly" {
  rule = aws_cloudwatch_event_rule.nightly.name
  arn  = aws_lambda_function.nightly_report.arn
}

resource "aws_lambda_permission" "events_invoke_report" {
  statement_id  = "AllowEventBridgeInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.nightly_report.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.nightly.arn
}
