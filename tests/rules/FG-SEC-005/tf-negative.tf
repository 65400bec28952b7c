# No default on the password variable; password/secret-named variables with numeric defaults are settings, not secrets.

variable "db_master_password" {
  description = "Master password, passed by the pipeline (TF_VAR_db_master_password)"
  type        = string
  sensitive   = true
}

variable "password_min_length" {
  description = "Minimum length of user passwords"
  type        = number
  default     = 14
}

variable "secret_recovery_window_days" {
  type    = number
  default = 7
}

resource "aws_db_instance" "orders" {
  identifier          = "orders"
  engine              = "postgres"
  instance_class      = "db.t4g.micro"
  allocated_storage   = 20
  username            = "orders"
  password            = var.db_master_password
  storage_encrypted   = true
  skip_final_snapshot = true
}
