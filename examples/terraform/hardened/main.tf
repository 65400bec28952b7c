# orders-service, hardened. Same application as ../vulnerable with one
# least-privilege role per function, Cognito on every API method, secrets in
# Secrets Manager, enforced code signing, private networking and monitoring.

terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.4"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      team    = "payments"
      service = "orders"
      stage   = var.stage
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  name     = "orders-${var.stage}"
  src_root = "${path.module}/../../src"
}

# ------------------------------------------------------------------ data

resource "aws_dynamodb_table" "orders" {
  name         = "${local.name}-orders"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "orderId"

  attribute {
    name = "orderId"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

resource "aws_sqs_queue" "payments_dlq" {
  name                      = "${local.name}-payments-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
}

resource "aws_sqs_queue" "payments" {
  name                       = "${local.name}-payments"
  visibility_timeout_seconds = 180
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.payments_dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sqs_queue" "async_failures" {
  name                      = "${local.name}-async-failures"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
}

resource "aws_s3_bucket" "uploads" {
  bucket = "${local.name}-uploads-${data.aws_caller_identity.current.account_id}"
}

resource "aws_s3_bucket_public_access_block" "uploads" {
  bucket                  = aws_s3_bucket.uploads.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_db_subnet_group" "ledger" {
  name       = "${local.name}-ledger"
  subnet_ids = var.private_subnet_ids
}

# RDS generates the master password and keeps it in Secrets Manager.
resource "aws_rds_cluster" "ledger" {
  cluster_identifier          = "${local.name}-ledger"
  engine                      = "aurora-postgresql"
  database_name               = "ledger"
  master_username             = "payments"
  manage_master_user_password = true
  storage_encrypted           = true
  db_subnet_group_name        = aws_db_subnet_group.ledger.name
  vpc_security_group_ids      = [aws_security_group.ledger.id]
  final_snapshot_identifier   = "${local.name}-ledger-final"
}

data "aws_secretsmanager_secret" "stripe" {
  name = "orders/${var.stage}/stripe"
}

# ------------------------------------------------------------------ network

resource "aws_security_group" "functions" {
  name        = "${local.name}-functions"
  description = "orders functions: HTTPS to VPC endpoints and Postgres only"
  vpc_id      = var.vpc_id

  egress {
    description = "VPC interface endpoints"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }

  egress {
    description = "Aurora ledger"
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
}

resource "aws_security_group" "ledger" {
  name        = "${local.name}-ledger"
  description = "payments ledger, reachable from the functions only"
  vpc_id      = var.vpc_id

  ingress {
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.functions.id]
  }
}

# ------------------------------------------------------------------ audit

resource "aws_s3_bucket" "audit" {
  bucket = "${local.name}-audit-${data.aws_caller_identity.current.account_id}"
}

resource "aws_s3_bucket_public_access_block" "audit" {
  bucket                  = aws_s3_bucket.audit.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_cloudtrail" "audit" {
  name                       = "${local.name}-audit"
  s3_bucket_name             = aws_s3_bucket.audit.id
  enable_log_file_validation = true

  event_selector {
    read_write_type           = "All"
    include_management_events = true

    data_resource {
      type   = "AWS::Lambda::Function"
      values = ["arn:aws:lambda"]
    }
  }
}
