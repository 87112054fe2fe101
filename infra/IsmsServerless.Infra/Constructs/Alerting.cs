using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.SNS;
using Constructs;

namespace IsmsServerless.Infra.Constructs;

public sealed class AlertingProps
{
    public required IKey EncryptionKey { get; init; }
}

/// <summary>The alert topic people subscribe to (email, SMS, pager) and the Slack path.</summary>
public sealed class Alerting : Construct
{
    public Topic Topic { get; }

    public Alerting(Construct scope, string id, AlertingProps props) : base(scope, id)
    {
        Topic = new Topic(this, "Topic", new TopicProps
        {
            DisplayName = "ISMS alerts",
            MasterKey = props.EncryptionKey,
            EnforceSSL = true,
        });
    }
}
