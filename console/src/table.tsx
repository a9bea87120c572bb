/** A list on a page: Ant Design's table, small, unpaged (the page's own Pager pages it), "nothing here" when empty. */
import { Table, type TableProps } from 'antd';
import { useWords } from './i18n';

export function ListTable<T extends object>(props: TableProps<T>) {
  const { t } = useWords();
  return <Table<T> size="small" pagination={false} locale={{ emptyText: t('noItems') }} {...props} />;
}
