variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "stage" {
  type    = string
  default = "prod"
}

variable "vpc_id" {
  type = string
}

variable "private_subnet_ids" {
  type = list(string)
}

# FG-SEC-005: a password default is committed with the code (FAKE).
variable "db_password" {
  type    = string
  default = "Orders#Prod2024!"
}
