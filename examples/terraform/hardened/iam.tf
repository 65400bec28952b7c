# One role per function, each allowed exactly what its handler calls.

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# ---- create_order

resource "aws_iam_role" "create_order" {
  name               = "${local.name}-create-order"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy_attachment" "create_order_vpc" {
  role       = aws_iam_role.create_order.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_iam_role_policy_attachment" "create_order_xray" {
  role       = aws_iam_role.create_order.name
  policy_arn = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

resource "aws_iam_role_policy" "create_order" {
  name = "create-order"
  role = aws_iam_role.create_order.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "dynamodb:PutItem", Resource = aws_dynamodb_table.orders.arn },
      { Effect = "Allow", Action = "sqs:SendMessage", Resource = aws_sqs_queue.payments.arn },
    ]
  })
}

# ---- get_order

resource "aws_iam_role" "get_order" {
  name               = "${local.name}-get-order"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy_attachment" "get_order_vpc" {
  role       = aws_iam_role.get_order.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_iam_role_policy_attachment" "get_order_xray" {
  role       = aws_iam_role.get_order.name
  policy_arn = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

resource "aws_iam_role_policy" "get_order" {
  name = "get-order"
  role = aws_iam_role.get_order.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "dynamodb:GetItem", Resource = aws_dynamodb_table.orders.arn }]
  })
}

# ---- process_payment

resource "aws_iam_role" "process_payment" {
  name               = "${local.name}-process-payment"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy_attachment" "process_payment_vpc" {
  role       = aws_iam_role.process_payment.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_iam_role_policy_attachment" "process_payment_xray" {
  role       = aws_iam_role.process_payment.name
  policy_arn = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

data "aws_iam_policy_document" "process_payment" {
  statement {
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.payments.arn]
  }
  statement {
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.orders.arn]
  }
  statement {
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      aws_rds_cluster.ledger.master_user_secret[0].secret_arn,
      data.aws_secretsmanager_secret.stripe.arn,
    ]
  }
}

resource "aws_iam_role_policy" "process_payment" {
  name   = "process-payment"
  role   = aws_iam_role.process_payment.id
  policy = data.aws_iam_policy_document.process_payment.json
}

# ---- generate_invoice

resource "aws_iam_role" "generate_invoice" {
  name               = "${local.name}-generate-invoice"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy_attachment" "generate_invoice_vpc" {
  role       = aws_iam_role.generate_invoice.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_iam_role_policy_attachment" "generate_invoice_xray" {
  role       = aws_iam_role.generate_invoice.name
  policy_arn = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

data "aws_iam_policy_document" "generate_invoice" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.uploads.arn}/uploads/*"]
  }
  statement {
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.uploads.arn}/invoices/*"]
  }
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.async_failures.arn]
  }
}

resource "aws_iam_role_policy" "generate_invoice" {
  name   = "generate-invoice"
  role   = aws_iam_role.generate_invoice.id
  policy = data.aws_iam_policy_document.generate_invoice.json
}

# ---- nightly_report

resource "aws_iam_role" "nightly_report" {
  name               = "${local.name}-nightly-report"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy_attachment" "nightly_report_vpc" {
  role       = aws_iam_role.nightly_report.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_iam_role_policy_attachment" "nightly_report_xray" {
  role       = aws_iam_role.nightly_report.name
  policy_arn = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

data "aws_iam_policy_document" "nightly_report" {
  statement {
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.uploads.arn}/reports/*"]
  }
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_rds_cluster.ledger.master_user_secret[0].secret_arn]
  }
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.async_failures.arn]
  }
}

resource "aws_iam_role_policy" "nightly_report" {
  name   = "nightly-report"
  role   = aws_iam_role.nightly_report.id
  policy = data.aws_iam_policy_document.nightly_report.json
}
