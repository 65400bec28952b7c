# Defaults that name a secret in a store (paths, names) are not secrets.

variable "db_secret_name" {
  description = "Name of the Secrets Manager secret that holds the password"
  type        = string
  default     = "orders/prod/db-password"
}

variable "db_password_ssm_parameter" {
  type    = string
  default = "/orders/prod/db/password"
}

data "aws_secretsmanager_secret_version" "db" {
  secret_id = var.db_secret_name
}
