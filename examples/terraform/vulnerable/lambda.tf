# No code signing (FG-SIGN-001), no reserved concurrency (FG-RT-002), text
# logs (FG-LOG-002), no tracing (FG-LOG-003) and no alarms (FG-MON-001)
# anywhere in this file.

data "archive_file" "create_order" {
  type        = "zip"
  source_dir  = "${local.src_root}/create_order"
  output_path = "${path.module}/build/create_order.zip"
}

data "archive_file" "get_order" {
  type        = "zip"
  source_dir  = "${local.src_root}/get_order"
  output_path = "${path.module}/build/get_order.zip"
}

data "archive_file" "process_payment" {
  type        = "zip"
  source_dir  = "${local.src_root}/process_payment"
  output_path = "${path.module}/build/process_payment.zip"
}

data "archive_file" "generate_invoice" {
  type        = "zip"
  source_dir  = "${local.src_root}/generate_invoice"
  output_path = "${path.module}/build/generate_invoice.zip"
}

data "archive_file" "nightly_report" {
  type        = "zip"
  source_dir  = "${local.src_root}/nightly_report"
  output_path = "${path.module}/build/nightly_report.zip"
}

resource "aws_lambda_function" "create_order" {
  function_name    = "${local.name}-create-order"
  role             = aws_iam_role.lambda.arn
  runtime          = "python3.12"
  handler          = "app.handler"
  filename         = data.archive_file.create_order.output_path
  source_code_hash = data.archive_file.create_order.output_base64sha256
  timeout          = 30

  environment {
    variables = {
      ORDERS_TABLE       = aws_dynamodb_table.orders.name
      PAYMENTS_QUEUE_URL = aws_sqs_queue.payments.url
      # CI user keys pasted while debugging (FAKE) — FG-SEC-001.
      AWS_ACCESS_KEY_ID     = "AKIA6RWQ3ZP7MXK2LNVB"
      AWS_SECRET_ACCESS_KEY = "t5Wd8Kq1Zx4Lm7Rb2Vn9Hc3Jp6Yg0Fs8Ue1Ao5Ni"
    }
  }
}

# FG-LOG-001: declared, but never expires.
resource "aws_cloudwatch_log_group" "create_order" {
  name = "/aws/lambda/${aws_lambda_function.create_order.function_name}"
}

resource "aws_lambda_function" "get_order" {
  function_name    = "${local.name}-get-order"
  role             = aws_iam_role.lambda.arn
  runtime          = "python3.12"
  handler          = "app.handler"
  filename         = data.archive_file.get_order.output_path
  source_code_hash = data.archive_file.get_order.output_base64sha256

  environment {
    variables = {
      ORDERS_TABLE = aws_dynamodb_table.orders.name
    }
  }
}

# FG-TRIG-002: a public URL for the mobile team's quick test.
resource "aws_lambda_function_url" "get_order" {
  function_name      = aws_lambda_function.get_order.function_name
  authorization_type = "NONE"
}

resource "aws_lambda_code_signing_config" "warn_only" {
  description = "rolled out in warn mode and never switched"
  allowed_publishers {
    signing_profile_version_arns = ["arn:aws:signer:eu-west-1:123456789012:/signing-profiles/orders/abcdef1234"]
  }
  policies {
    untrusted_artifact_on_deployment = "Warn" # FG-SIGN-002
  }
}

# Shared code of the Python functions (the Postgres driver and helpers).
data "archive_file" "orders_common" {
  type        = "zip"
  source_dir  = "${path.module}/../../layers/vulnerable/orders-common"
  output_path = "${path.module}/build/orders_common.zip"
}

resource "aws_lambda_layer_version" "orders_common" {
  layer_name          = "${local.name}-orders-common"
  filename            = data.archive_file.orders_common.output_path
  source_code_hash    = data.archive_file.orders_common.output_base64sha256
  compatible_runtimes = ["python3.12"]
}

resource "aws_lambda_function" "process_payment" {
  function_name           = "${local.name}-process-payment"
  role                    = aws_iam_role.lambda.arn
  runtime                 = "python3.12"
  handler                 = "app.handler"
  layers                  = [aws_lambda_layer_version.orders_common.arn]
  filename                = data.archive_file.process_payment.output_path
  source_code_hash        = data.archive_file.process_payment.output_base64sha256
  timeout                 = 120
  code_signing_config_arn = aws_lambda_code_signing_config.warn_only.arn

  # Talks to Aurora but has no vpc_config (FG-NET-001).
  environment {
    variables = {
      ORDERS_TABLE      = aws_dynamodb_table.orders.name
      DB_HOST           = aws_rds_cluster.ledger.endpoint
      DB_PASSWORD       = var.db_password
      DATABASE_URL      = "postgresql://payments:Orders%23Prod2024!@orders-ledger.cluster-c9x2kq7ab1zd.eu-west-1.rds.amazonaws.com:5432/ledger"
      STRIPE_SECRET_KEY = "sk_live_51NqXo2Hk8RtW3mZbL9pVc4Yd"
    }
  }
}

resource "aws_lambda_event_source_mapping" "payments" {
  event_source_arn = aws_sqs_queue.payments.arn
  function_name    = aws_lambda_function.process_payment.arn
  batch_size       = 10
}

resource "aws_lambda_function" "generate_invoice" {
  function_name    = "${local.name}-generate-invoice"
  role             = aws_iam_role.lambda.arn
  runtime          = "nodejs16.x" # FG-RT-001
  handler          = "index.handler"
  filename         = data.archive_file.generate_invoice.output_path
  source_code_hash = data.archive_file.generate_invoice.output_base64sha256
  # Invoked asynchronously by S3, no dead_letter_config (FG-RT-003).
}

resource "aws_lambda_permission" "s3_invoke_invoice" {
  statement_id   = "AllowS3Invoke"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.generate_invoice.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.uploads.arn
  source_account = data.aws_caller_identity.current.account_id
}

# Partner integration: anyone may invoke (FG-TRIG-001).
resource "aws_lambda_permission" "partner_invoke_invoice" {
  statement_id  = "AllowPartnerInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.generate_invoice.function_name
  principal     = "*"
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

resource "aws_lambda_function" "nightly_report" {
  function_name    = "${local.name}-nightly-report"
  role             = aws_iam_role.lambda.arn
  runtime          = "python3.8" # FG-RT-001
  handler          = "app.handler"
  filename         = data.archive_file.nightly_report.output_path
  source_code_hash = data.archive_file.nightly_report.output_base64sha256
  timeout          = 300

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [aws_security_group.report.id]
  }

  environment {
    variables = {
      REPORTS_BUCKET = aws_s3_bucket.uploads.bucket
    }
  }
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
