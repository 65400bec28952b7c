# orders-service (DELIBERATELY VULNERABLE example for fnguard).
# Every credential in these files is FAKE.

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
}

resource "aws_sqs_queue" "payments" {
  name                       = "${local.name}-payments"
  visibility_timeout_seconds = 180
}

resource "aws_s3_bucket" "uploads" {
  bucket = "${local.name}-uploads-${data.aws_caller_identity.current.account_id}"
}

resource "aws_db_subnet_group" "ledger" {
  name       = "${local.name}-ledger"
  subnet_ids = var.private_subnet_ids
}

resource "aws_rds_cluster" "ledger" {
  cluster_identifier   = "${local.name}-ledger"
  engine               = "aurora-postgresql"
  database_name        = "ledger"
  master_username      = "payments"
  master_password      = var.db_password
  db_subnet_group_name = aws_db_subnet_group.ledger.name
  skip_final_snapshot  = true
}

# ------------------------------------------------------------------ network

resource "aws_security_group" "report" {
  name        = "${local.name}-report"
  description = "nightly report function"
  vpc_id      = var.vpc_id

  # FG-NET-002: everything, everywhere.
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# ------------------------------------------------------------------ audit

resource "aws_s3_bucket" "audit" {
  bucket = "${local.name}-audit-${data.aws_caller_identity.current.account_id}"
}

# Management events only: Lambda invocations are not recorded (FG-LOG-004).
resource "aws_cloudtrail" "audit" {
  name           = "${local.name}-audit"
  s3_bucket_name = aws_s3_bucket.audit.id

  event_selector {
    read_write_type           = "All"
    include_management_events = true
  }
}
