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

variable "vpc_cidr" {
  type    = string
  default = "10.20.0.0/16"
}

variable "private_subnet_ids" {
  type = list(string)
}

variable "signing_profile_version_arn" {
  description = "version ARN of the AWS Signer profile used by CI"
  type        = string
}

variable "alarm_topic_arn" {
  description = "SNS topic paging the payments on-call"
  type        = string
}

variable "storefront_origin" {
  type    = string
  default = "https://shop.example.com"
}
