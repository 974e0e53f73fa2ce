// EBS volume and instance models: see issue 3.
