variable "aws_account_id" {
  description = "AWS account id"
  default = "405322537961"
}

variable "aws_region" {
  description = "AWS region"
  default     = "us-west-2"
}
