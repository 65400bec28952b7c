# sensitive = true only hides the value in plan output; the default is still in plain text in the repository.

variable "api_client_secret" {
  description = "OAuth client secret for the partner API"
  type        = string
  sensitive   = true
  default     = "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c"
}

resource "aws_ssm_parameter" "client_secret" {
  name  = "/orders/partner/client-secret"
  type  = "SecureString"
  value = var.api_client_secret
}
