# Page the on-call when a function fails, is throttled or gets slow.

resource "aws_cloudwatch_metric_alarm" "create_order_errors" {
  alarm_name          = "${local.name}-create-order-errors"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 5
  threshold           = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  dimensions = {
    FunctionName = aws_lambda_function.create_order.function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "create_order_duration" {
  alarm_name          = "${local.name}-create-order-duration"
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  threshold           = 3000
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  dimensions = {
    FunctionName = aws_lambda_function.create_order.function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "get_order_errors" {
  alarm_name          = "${local.name}-get-order-errors"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 5
  threshold           = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  dimensions = {
    FunctionName = aws_lambda_function.get_order.function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "process_payment_errors" {
  alarm_name          = "${local.name}-process-payment-errors"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  dimensions = {
    FunctionName = aws_lambda_function.process_payment.function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "process_payment_throttles" {
  alarm_name          = "${local.name}-process-payment-throttles"
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  dimensions = {
    FunctionName = aws_lambda_function.process_payment.function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "generate_invoice_errors" {
  alarm_name          = "${local.name}-generate-invoice-errors"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  dimensions = {
    FunctionName = aws_lambda_function.generate_invoice.function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "nightly_report_errors" {
  alarm_name          = "${local.name}-nightly-report-errors"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  dimensions = {
    FunctionName = aws_lambda_function.nightly_report.function_name
  }
}
