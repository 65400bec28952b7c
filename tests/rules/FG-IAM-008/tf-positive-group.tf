# Members of the operators group may put any inline policy on any user
# (iam:PutUserPolicy on *): each can grant itself everything.

resource "aws_iam_group" "operators" {
  name = "operators"
}

data "aws_iam_policy_document" "operators" {
  statement {
    actions   = ["iam:PutUserPolicy"]
    resources = ["*"]
  }
}

resource "aws_iam_group_policy" "operators" {
  name   = "operators"
  group  = aws_iam_group.operators.name
  policy = data.aws_iam_policy_document.operators.json
}

resource "aws_iam_user" "bob" {
  name = "bob"
}

resource "aws_iam_user_group_membership" "bob" {
  user   = aws_iam_user.bob.name
  groups = [aws_iam_group.operators.name]
}
