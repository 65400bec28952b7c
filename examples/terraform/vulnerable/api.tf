# REST API for the back office. No authorizer (FG-TRIG-003), an API key as
# the only protection of GET (FG-TRIG-004), no WAF (FG-API-001), no
# throttling (FG-API-002), no request validator (FG-API-003), no access
# logs (FG-API-004).
resource "aws_api_gateway_rest_api" "orders" {
  name = "${local.name}-api"
}

resource "aws_api_gateway_resource" "orders" {
  rest_api_id = aws_api_gateway_rest_api.orders.id
  parent_id   = aws_api_gateway_rest_api.orders.root_resource_id
  path_part   = "orders"
}

resource "aws_api_gateway_resource" "order" {
  rest_api_id = aws_api_gateway_rest_api.orders.id
  parent_id   = aws_api_gateway_resource.orders.id
  path_part   = "{id}"
}

resource "aws_api_gateway_method" "create_order" {
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  resource_id   = aws_api_gateway_resource.orders.id
  http_method   = "POST"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "create_order" {
  rest_api_id             = aws_api_gateway_rest_api.orders.id
  resource_id             = aws_api_gateway_resource.orders.id
  http_method             = aws_api_gateway_method.create_order.http_method
  integration_http_method = "POST"
  type                    = "AWS_PROXY"
  uri                     = aws_lambda_function.create_order.invoke_arn
}

resource "aws_api_gateway_method" "get_order" {
  rest_api_id      = aws_api_gateway_rest_api.orders.id
  resource_id      = aws_api_gateway_resource.order.id
  http_method      = "GET"
  authorization    = "NONE"
  api_key_required = true
}

resource "aws_api_gateway_integration" "get_order" {
  rest_api_id             = aws_api_gateway_rest_api.orders.id
  resource_id             = aws_api_gateway_resource.order.id
  http_method             = aws_api_gateway_method.get_order.http_method
  integration_http_method = "POST"
  type                    = "AWS_PROXY"
  uri                     = aws_lambda_function.get_order.invoke_arn
}

resource "aws_api_gateway_deployment" "orders" {
  rest_api_id = aws_api_gateway_rest_api.orders.id
  depends_on  = [aws_api_gateway_integration.create_order, aws_api_gateway_integration.get_order]
}

resource "aws_api_gateway_stage" "orders" {
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  deployment_id = aws_api_gateway_deployment.orders.id
  stage_name    = var.stage
}

resource "aws_lambda_permission" "apigw_create_order" {
  statement_id  = "AllowApiGateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.create_order.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.orders.execution_arn}/*/POST/orders"
}

resource "aws_lambda_permission" "apigw_get_order" {
  statement_id  = "AllowApiGateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.get_order.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.orders.execution_arn}/*/GET/orders/*"
}

# HTTP API used by the storefront: any origin with credentials (FG-TRIG-005)
# and an unauthenticated route (FG-TRIG-003).
resource "aws_apigatewayv2_api" "storefront" {
  name          = "${local.name}-storefront"
  protocol_type = "HTTP"

  cors_configuration {
    allow_origins     = ["*"]
    allow_methods     = ["GET", "POST", "OPTIONS"]
    allow_headers     = ["content-type", "authorization"]
    allow_credentials = true
  }
}

resource "aws_apigatewayv2_integration" "storefront_create_order" {
  api_id                 = aws_apigatewayv2_api.storefront.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.create_order.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "storefront_create_order" {
  api_id             = aws_apigatewayv2_api.storefront.id
  route_key          = "POST /orders"
  authorization_type = "NONE"
  target             = "integrations/${aws_apigatewayv2_integration.storefront_create_order.id}"
}

resource "aws_apigatewayv2_stage" "storefront" {
  api_id      = aws_apigatewayv2_api.storefront.id
  name        = "$default"
  auto_deploy = true
}

resource "aws_lambda_permission" "storefront_create_order" {
  statement_id  = "AllowStorefrontApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.create_order.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.storefront.execution_arn}/*/*/orders"
}
