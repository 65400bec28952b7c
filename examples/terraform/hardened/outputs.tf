output "api_url" {
  value = aws_api_gateway_stage.orders.invoke_url
}

output "user_pool_id" {
  value = aws_cognito_user_pool.customers.id
}
