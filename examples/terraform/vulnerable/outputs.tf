output "api_url" {
  value = aws_api_gateway_stage.orders.invoke_url
}

output "storefront_url" {
  value = aws_apigatewayv2_stage.storefront.invoke_url
}

output "get_order_url" {
  value = aws_lambda_function_url.get_order.function_url
}
