# One role for every function (FG-IAM-007).
resource "aws_iam_role" "lambda" {
  name = "${local.name}-lambda"

  # FG-IAM-005: the ops account may assume the function role too.
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
      {
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::210987654321:root" }
        Action    = "sts:AssumeRole"
      },
    ]
  })
}

# FG-IAM-001: "it kept failing with AccessDenied".
resource "aws_iam_role_policy" "everything" {
  name = "everything"
  role = aws_iam_role.lambda.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "*"
      Resource = "*"
    }]
  })
}

data "aws_iam_policy_document" "deploy_helpers" {
  # FG-IAM-006
  statement {
    actions   = ["iam:PassRole"]
    resources = ["*"]
  }
  # FG-IAM-002
  statement {
    actions   = ["dynamodb:*"]
    resources = [aws_dynamodb_table.orders.arn]
  }
  # FG-IAM-003
  statement {
    actions   = ["sqs:SendMessage", "sqs:DeleteMessage"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "deploy_helpers" {
  name   = "${local.name}-deploy-helpers"
  policy = data.aws_iam_policy_document.deploy_helpers.json
}

resource "aws_iam_role_policy_attachment" "deploy_helpers" {
  role       = aws_iam_role.lambda.name
  policy_arn = aws_iam_policy.deploy_helpers.arn
}

# FG-IAM-004
resource "aws_iam_role_policy_attachment" "s3_full" {
  role       = aws_iam_role.lambda.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
}

resource "aws_iam_role_policy_attachment" "basic" {
  role       = aws_iam_role.lambda.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}
