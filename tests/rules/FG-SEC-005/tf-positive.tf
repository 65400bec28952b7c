# A password-like default on a variable: every deployment that does not override it uses the committed secret.

variable "db_master_password" {
  description = "Master password of the orders database"
  type        = string
  default     = "Orders-Pr0d-2024!"
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
