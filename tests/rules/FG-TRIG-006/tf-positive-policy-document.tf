# A GovCloud topic policy (data.aws_iam_policy_document) lets another
# account publish to the topic that invokes the function: medium.

resource "aws_sns_topic" "events" {
  name = "partner-events"
}

data "aws_iam_policy_document" "events" {
  statement {
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.events.arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws-us-gov:iam::210987654321:root"]
    }
  }
}

resource "aws_sns_topic_policy" "events" {
  arn    = aws_sns_topic.events.arn
  policy = data.aws_iam_policy_document.events.json
}

resource "aws_lambda_function" "relay" {
  function_name = "relay"
  role          = "arn:aws-us-gov:iam::123456789012:role/relay"
  runtime       = "python3.13"
  handler       = "app.handler"
  filename      = "dist/relay.zip"
}

resource "aws_lambda_permission" "sns" {
  statement_id  = "AllowSns"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.relay.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.events.arn
}
