/** What the annual adjustment has waiting for staff: a year due, an approval overdue, a roll-over due. */
import { Card, Tag } from 'antd';
import { useEffect, useState } from 'react';
import { shanghaiTime } from '../api';
import { ErrorAlert } from '../errors';
import { useWords } from '../i18n';
import { useSession } from '../session';
import { ListTable } from '../table';

interface PendingItem {
  itemId: string;
  kind: string;
  subject: string;
  description: string;
  createdAt?: string;
}

export function PendingItems() {
  const { t, e } = useWords();
  const { api } = useSession();
  const [items, setItems] = useState<PendingItem[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<{ items: PendingItem[] }>('adjustment', 'ListPendingItems', { page: { pageSize: 50 } }).then((r) => setItems(r.items ?? []), setError);
  }, [api]);
  return (
    <Card title={t('pendingItems')} size="small">
      <ErrorAlert error={error} />
      <ListTable<PendingItem>
        data-testid="pending-items"
        rowKey="itemId"
        dataSource={items}
        columns={[
          { title: t('kind'), dataIndex: 'kind', render: (k: string) => <Tag>{e(k)}</Tag> },
          { title: t('summary'), dataIndex: 'description' },
          { title: t('proposedAt'), dataIndex: 'createdAt', render: (x: string) => shanghaiTime(x) },
        ]}
      />
    </Card>
  );
}

