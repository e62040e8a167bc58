def test_landing_renders(client, promotion):
    response = client.get("/")
    assert response.status_code == 200
    assert b"8 of 8" in response.content
